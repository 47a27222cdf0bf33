#!/usr/bin/env bash
# rmq-sim prints the same trace hash for a seed in separate processes (so
# address-space layout cannot leak into the simulation).
set -u
sim="$1"
passed=0; failed=0
for seed in 7 8 9; do
  a=$("$sim" run --scenario ping --seed "$seed" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
  b=$("$sim" run --scenario ping --seed "$seed" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
  if [ -n "$a" ] && [ "$a" = "$b" ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "seed $seed: '$a' != '$b'"; fi
done
# Bad usage is an error with exit status 2, not a crash.
for bad in "run --scenario nope --seed 1" "run --scenario ping --seeds 5..1" "run --scenario ping --seed x" "frobnicate" "explore --seed 1" "explore --seeds 1..2 --scenario nope" "run --scenario ping --seed 1 --twice"; do
  "$sim" $bad >/dev/null 2>&1; rc=$?
  if [ "$rc" -eq 2 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "'rmq-sim $bad' exited $rc, want 2"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
