#!/usr/bin/env bash
# rmq-chaos refuses what it cannot do with exit status 2 and a reason,
# before it touches the network: plans with faults it cannot apply yet,
# unknown nodes, bad arguments.
set -u
chaos="$1"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() {  # args | want text
  local args="$1" want="$2"
  err=$($chaos $args 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq 2 ] && [[ "$err" == *"$want"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "'rmq-chaos $args' exited $rc ($err), want 2 and '$want'"; fi
}
printf '5s clog producer0 <-> broker0 delay=1s\n' > "$work/clog.plan"
printf '5s crash nobody\n' > "$work/unknown.plan"
printf '5s explode broker0\n' > "$work/bad.plan"
printf '5s power_loss broker1\n' > "$work/power.plan"
printf '5s latency producer0 -> broker0 delay=20ms\n' > "$work/latency.plan"
check "run --plan $work/clog.plan" "clog needs the fault-injecting proxy"
check "run --plan $work/power.plan" "power_loss needs"
check "run --plan $work/latency.plan" "latency needs the fault-injecting proxy"
check "run --plan $work/unknown.plan" "'5s crash nobody': no such node"
check "run --plan $work/bad.plan" "line 1: unknown fault 'explode'"
check "run --plan $work/missing.plan" "cannot read"
check "run --seconds 5" "--seconds wants 20..86400"
check "run --frobnicate" "bad argument '--frobnicate'"
check "fly" "unknown command 'fly'"
check "run --bin /nonexistent" "no rmq-namesrv in /nonexistent"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
