#!/usr/bin/env bash
# Canaries: builds rmq-sim with one known bug compiled in (common/canary.h)
# and requires its scenario (scenarios/canaries.cc) to fail within the
# stated seeds. Proof that the checkers still see each class of bug.
#
#   scripts/canaries.sh BUILD_DIR                 every canary
#   scripts/canaries.sh BUILD_DIR NAME...         these
#   scripts/canaries.sh BUILD_DIR --rotate        one, chosen by the commit count (CI)
#   RMQ_CANARY_SHRINK=1 scripts/canaries.sh ...   also shrink each first failure (to BUILD_DIR/canaries/NAME.plan)
#   RMQ_CANARY_SCENARIO=chaos RMQ_CANARY_SEEDS=200 scripts/canaries.sh ...
#                                                 try another scenario and budget than the table's
#
# Reconfigures BUILD_DIR with -DRMQ_CANARY=<name> (only the canary's own
# file and rmq-sim recompile), and restores RMQ_CANARY="" at the end.
# Prints one row per canary: name, scenario, first failing seed, and the
# shrunk plan's size; exits 1 when a canary was not caught.
set -u
build=${1:?usage: canaries.sh BUILD_DIR [NAME...|--rotate]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
sim="$build/tools/rmq-sim"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

configure() {
  cmake -DRMQ_CANARY="$1" "$build" >"$work/cmake.log" 2>&1 &&
    cmake --build "$build" --target rmq-sim >"$work/build.log" 2>&1 || {
      cat "$work/cmake.log" "$work/build.log" | tail -30; return 1; }
}

configure "" || exit 2
mapfile -t rows < <("$sim" canaries)
names=()
if [ "${1:-}" = "--rotate" ]; then
  count=$(git -C "$here" rev-list --count HEAD 2>/dev/null || echo 0)
  names=("$(echo "${rows[$((count % ${#rows[@]}))]}" | cut -d' ' -f1)")
elif [ $# -gt 0 ]; then
  names=("$@")
else
  for r in "${rows[@]}"; do names+=("${r%% *}"); done
fi

caught=0; missed=0
printf '%-34s %-24s %-12s %s\n' canary scenario first_fail shrunk_events
for name in "${names[@]}"; do
  row=$(printf '%s\n' "${rows[@]}" | awk -v n="$name" '$1 == n')
  if [ -z "$row" ]; then echo "no canary '$name' (see: rmq-sim canaries)"; missed=$((missed+1)); continue; fi
  scenario=${RMQ_CANARY_SCENARIO:-$(echo "$row" | cut -d' ' -f2)}; seeds=${RMQ_CANARY_SEEDS:-$(echo "$row" | cut -d' ' -f3)}
  configure "$name" || { missed=$((missed+1)); continue; }
  "$sim" canaries | grep -q "^$name .* \*$" || { echo "$name: the build did not take the canary"; missed=$((missed+1)); continue; }
  first=""
  for seed in $(seq 1 "$seeds"); do
    "$sim" run --scenario "$scenario" --seed "$seed" >"$work/run.txt" 2>&1; rc=$?
    if [ "$rc" -eq 1 ]; then first=$seed; break; fi
    if [ "$rc" -ne 0 ]; then cat "$work/run.txt" | tail -5; break; fi
  done
  shrunk="-"
  if [ -n "$first" ] && [ "${RMQ_CANARY_SHRINK:-0}" = 1 ]; then
    mkdir -p "$build/canaries"
    "$sim" shrink --scenario "$scenario" --seed "$first" --out "$build/canaries/$name.plan" --minutes 10 >"$work/shrink.txt" 2>&1
    shrunk=$(grep -cv '^#' "$build/canaries/$name.plan" 2>/dev/null || true)
  fi
  if [ -n "$first" ]; then
    caught=$((caught+1)); printf '%-34s %-24s %-12s %s\n' "$name" "$scenario" "$first" "$shrunk"
    grep -m1 'failure:' "$work/run.txt" | cut -c1-160
    # The failing run's timeline, in headless Chromium: its failure mark.
    if "$sim" run --scenario "$scenario" --seed "$first" --html "$work/probe.html" >/dev/null 2>&1; [ -s "$work/probe.html" ]; then
      if ! "$here/tests/scenarios/timeline_chromium_test.sh" "$sim" "$scenario" "$first" --expect-failure >"$work/timeline.txt" 2>&1; then
        echo "$name: the failing run's timeline lacks its failure mark:"; cat "$work/timeline.txt"; missed=$((missed+1))
      else
        echo "  timeline: $(tail -n 1 "$work/timeline.txt") (failure marked, in Chromium)"
      fi
    else
      echo "  timeline: $scenario records no client history to draw"
    fi
  else
    missed=$((missed+1)); printf '%-34s %-24s %-12s %s\n' "$name" "$scenario" "none/$seeds" "-"
  fi
done
configure "" || exit 2
echo "$caught passed, $missed failed"
[ "$missed" -eq 0 ]
