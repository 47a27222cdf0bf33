#!/usr/bin/env bash
# rmq-chaos refuses what it cannot do with exit status 2 and a reason,
# before it touches the network: plans with faults it has no real means
# for, nodes its scenario's cluster lacks, scenarios without a real form,
# bad arguments.
set -u
chaos="$1"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() {  # args | want text
  local args="$1" want="$2"
  err=$($chaos $args 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq 2 ] && [[ "$err" == *"$want"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "'rmq-chaos $args' exited $rc ($err), want 2 and '$want'"; fi
}
printf '5s clog broker0 <-> broker1 delay=1s\n' > "$work/clog.plan"
printf '5s crash nobody\n' > "$work/unknown.plan"
printf '5s explode broker0\n' > "$work/bad.plan"
printf '5s power_loss broker1\n' > "$work/power.plan"
printf '5s slow_disk broker0 delay=10ms\n' > "$work/slow.plan"
printf '# scenario: master-crash\n# seed: 3\n5s crash broker0\n' > "$work/ha.plan"
printf '# scenario: ping\n5s crash n0\n' > "$work/ping.plan"
printf '5s disk_full producer0\n' > "$work/full.plan"
check "run --plan $work/clog.plan" "broker0 and broker1 never connect to each other"
check "run --plan $work/power.plan" "power_loss needs a machine whose unsynced writes can be dropped"
check "run --plan $work/power.plan" "(--drop-unsupported runs the rest)"
check "run --plan $work/slow.plan" "slow_disk needs a disk rig"
check "run --plan $work/full.plan" "only a broker's disk can be filled"
# A plan file's header names its scenario: its cluster's node names apply.
check "run --plan $work/ha.plan" "'5s crash broker0': no such node in master-crash's cluster"
check "run --plan $work/ha.plan --scenario cluster" "is a plan of master-crash, not cluster"
check "run --plan $work/ping.plan" "ping runs the runtime's echo nodes"
check "run --scenario registration-at-scale" "50 000 topics"
check "run --scenario nonesuch" "no scenario 'nonesuch'"
check "run --seed x1" "bad seed 'x1'"
check "shape --scenario ping" "ping runs the runtime's echo nodes"
check "shape" "shape takes --scenario S"
# `shape` lists the processes of a scenario's real form.
out=$($chaos shape --scenario master-crash 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [[ "$out" == *"slave1"*"broker-b id=1 SLAVE ASYNC_FLUSH of master1"* ]] && [[ "$out" == *"not checked for real"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "shape --scenario master-crash exited $rc: $out"; fi
check "run --plan $work/unknown.plan" "'5s crash nobody': no such node"
check "run --plan $work/bad.plan" "line 1: unknown fault 'explode'"
check "run --plan $work/missing.plan" "cannot read"
check "run --seconds 5" "--seconds wants 20..86400"
check "run --frobnicate" "bad argument '--frobnicate'"
check "fly" "unknown command 'fly'"
check "run --bin /nonexistent" "no rmq-namesrv in /nonexistent"
# `check` runs the checkers over a kept run's histories (no network needed):
# a clean history passes, a lost or phantom message fails (exit 1), and a
# torn last line is counted, not fatal.
hist="$work/hist"; mkdir -p "$hist"
T=1000000000
{
  printf 'invoke\tp0-0\tp0\t%d\tbody0\n' $((T+1))
  printf 'acked\tp0-0\tbroker-a\t0\t0\tID0\t%d\n' $((T+2))
  printf 'invoke\tp0-1\tp0\t%d\tbody1\n' $((T+3))
  printf 'acked\tp0-1\tbroker-b\t1\t0\tID1\t%d\n' $((T+4))
  printf 'invoke\tp0-2\tp0\t%d\tbody2\n' $((T+5))      # killed before the answer: unknown
  printf 'acked\tp0-'                                       # a torn last line
} > "$hist/producer0.history"
deliveries() {  # group consumer
  printf 'restart\t%s\t%d\n' "$2" $((T+10))
  printf 'rebalance\t%s\t%s\t%d\tChaosTopic@broker-a:0,ChaosTopic@broker-b:1,%%RETRY%%CG@broker-a:0\n' "$1" "$2" $((T+11))
  printf 'deliver\t%s\t%s\tp0-0\tID0\tChaosTopic\tbroker-a\t0\t0\t0\t%d\tbody0\n' "$1" "$2" $((T+20))
  printf 'deliver\t%s\t%s\tp0-1\tID1\tChaosTopic\tbroker-b\t1\t0\t0\t%d\tbody1\n' "$1" "$2" $((T+21))
}
deliveries CG 10.77.0.9@c0 > "$hist/consumer0.history"
deliveries BG 10.77.0.12@c3 > "$hist/consumer3.history"
deliveries BG 10.77.0.13@c4 > "$hist/consumer4.history"
out=$($chaos check --work "$hist" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [[ "$out" == *"unreadable_lines=1"* ]] && [[ "$out" == *"result: ok"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "check of a clean history exited $rc: $out"; fi
grep -v 'p0-1' "$hist/consumer4.history" > "$hist/c4" && mv "$hist/c4" "$hist/consumer4.history"
out=$($chaos check --work "$hist" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ "$out" == *"lost_write: acknowledged message p0-1"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "check of a lost message exited $rc: $out"; fi
printf 'deliver\tCG\t10.77.0.9@c0\tzz-9\tIDZ\tChaosTopic\tbroker-a\t2\t0\t0\t%d\tzz\n' $((T+30)) >> "$hist/consumer0.history"
out=$($chaos check --work "$hist" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ "$out" == *"phantom"*"zz-9"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "check of a phantom exited $rc: $out"; fi
check "check --work /nonexistent" "no directory '/nonexistent'"
check "check" "check takes --work DIR"
# One run per machine: while another holds the lock, a run says so and
# waits, and makes no namespace (two runs once collided: the second deleted
# and remade the first's namespaces, and its restarted broker found its
# port taken). Only where a run could start at all (root, ip, nft).
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && command -v nft >/dev/null && command -v flock >/dev/null; then
  exec 9>>/tmp/rmq-chaos.lock
  flock 9
  $chaos run --plan "$(dirname "$0")/../chaos/master-kill.plan" >"$work/waiting.out" 2>&1 &
  waiter=$!
  for _ in $(seq 1 50); do grep -q "waiting" "$work/waiting.out" && break; sleep 0.1; done
  made=$(ip netns list | grep -c '^rmqc-')
  kill -TERM "$waiter"; wait "$waiter" 2>/dev/null
  exec 9>&-
  if grep -q "another run holds the namespaces" "$work/waiting.out" && [ "$made" -eq 0 ]; then passed=$((passed+1)); else
    failed=$((failed+1)); echo "a run while another held the lock: namespaces $made, said: $(cat "$work/waiting.out")"; fi
else
  echo "skipped the lock check: needs root, ip, nft and flock"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
