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
# A run's plan, written with --plan-out, replays to the same hash from the
# file alone (its header names the scenario and the seed).
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
a=$("$sim" run --scenario cluster --seed 5 --plan-out "$tmp/p.plan" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
b=$("$sim" run --plan "$tmp/p.plan" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
if [ -n "$a" ] && [ "$a" = "$b" ] && grep -q '^# seed: 5$' "$tmp/p.plan" && grep -q '^# perturb: o[nf]f*$' "$tmp/p.plan"; then passed=$((passed+1)); else failed=$((failed+1)); echo "plan replay: '$a' != '$b'"; fi
# A smaller workload is another run, and its plan file replays it.
c=$("$sim" run --scenario cluster --seed 5 --workload 0.25 --plan-out "$tmp/w.plan" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
d=$("$sim" run --plan "$tmp/w.plan" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
if [ -n "$c" ] && [ "$c" = "$d" ] && [ "$c" != "$a" ] && grep -q '^# workload: 0.25$' "$tmp/w.plan"; then passed=$((passed+1)); else failed=$((failed+1)); echo "workload replay: '$c' '$d' (full: '$a')"; fi
# So is a smaller cluster (the shrinker's --nodes): its plan file replays it.
e=$("$sim" run --scenario chaos --seed 5 | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
f=$("$sim" run --scenario chaos --seed 5 --nodes 0.5 --plan-out "$tmp/n.plan" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
g=$("$sim" run --plan "$tmp/n.plan" | head -1 | sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p')
if [ -n "$f" ] && [ "$f" = "$g" ] && [ "$f" != "$e" ] && grep -q '^# nodes: 0.5$' "$tmp/n.plan"; then passed=$((passed+1)); else failed=$((failed+1)); echo "nodes replay: '$f' '$g' (full: '$e')"; fi
"$sim" run --scenario chaos --seed 5 --nodes 0 >/dev/null 2>&1; rc=$?
if [ "$rc" -eq 2 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "'--nodes 0' exited $rc, want 2"; fi
# Bad plans are refused with exit status 2 and say why.
printf '1s crash nobody\n' > "$tmp/unknown.plan"
printf '1s explode broker0\n' > "$tmp/bad.plan"
printf '# scenario: cluster\n# seed: x\n' > "$tmp/badseed.plan"
printf '# scenario: cluster\n# seed: 1\n# perturb: maybe\n' > "$tmp/badperturb.plan"
printf '1s crash broker\n' > "$tmp/crash.plan"
for bad in "run --scenario cluster --seed 1 --plan $tmp/unknown.plan:no node 'nobody'" \
           "run --scenario cluster --seed 1 --plan $tmp/bad.plan:line 1: unknown fault 'explode'" \
           "run --plan $tmp/badseed.plan:bad '# seed:' header" \
           "run --plan $tmp/badperturb.plan:bad '# perturb:' header 'maybe'" \
           "run --scenario cluster --seed 1 --plan $tmp/missing.plan:cannot read plan file" \
           "run --scenario long-poll --seed 1 --plan $tmp/crash.plan:does not support crash" \
           "explore --seeds 1..2 --plan $tmp/p.plan:--plan goes with run or shrink" \
           "run --scenario cluster --seed 1 --workload 1.5:bad --workload '1.5'" \
           "run --scenario cluster --seed 1 --workload 0:bad --workload '0'"; do
  args=${bad%%:*}; want=${bad#*:}
  err=$("$sim" $args 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq 2 ] && [[ "$err" == *"$want"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "'rmq-sim $args' exited $rc ($err), want 2 and '$want'"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
