#!/usr/bin/env bash
# rmq-broker as an operator starts it: invalid values stop start-up with a
# message naming the key (exit 1), bad usage exits 2, unknown keys are warned
# about, and SIGTERM shuts down cleanly (exit 0, store closed: no abort file).
set -u
broker="$1"
work="$(mktemp -d "${TMPDIR:-/tmp}/rmq-broker-cli.XXXXXX")"
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() {  # name, condition-exit-status
  if [ "$2" -eq 0 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: $1"; fi
}

expect_refusal() {  # key, args...
  local key="$1"; shift
  "$broker" --storePathRootDir="$work/store-bad" "$@" >"$work/out" 2>&1
  local rc=$?
  [ "$rc" -eq 1 ] && grep -q "$key" "$work/out"
  check "'rmq-broker $*' exits 1 naming $key (got $rc: $(tail -1 "$work/out"))" $?
}
expect_refusal flushDiskType --flushDiskType=SOMETIMES
expect_refusal listenPort --listenPort=abc
expect_refusal listenPort --listenPort=70000
expect_refusal autoCreateTopicEnable --autoCreateTopicEnable=maybe
expect_refusal brokerIP1 --brokerIP1=not-an-ip
expect_refusal brokerId --brokerId=1
expect_refusal brokerId --brokerRole=SLAVE
expect_refusal brokerRole --brokerRole=MASTER
expect_refusal haMasterAddress --brokerRole=SLAVE --brokerId=1 --haMasterAddress=nowhere
expect_refusal messageDelayLevel "--messageDelayLevel=1s 5x 10s"
expect_refusal messageDelayLevel --messageDelayLevel=
expect_refusal transactionCheckMax --transactionCheckMax=0
expect_refusal transactionCheckInterval --transactionCheckInterval=soon
printf 'brokerName=b\nno separator here\n' > "$work/broken.conf"
expect_refusal "line 2" -c "$work/broken.conf"

"$broker" -x >"$work/out" 2>&1; rc=$?
check "'rmq-broker -x' exits 2 (got $rc)" $([ "$rc" -eq 2 ]; echo $?)
"$broker" -c "$work/missing.conf" >"$work/out" 2>&1; rc=$?
check "a missing config file exits 1 (got $rc)" $([ "$rc" -eq 1 ] && grep -q missing.conf "$work/out"; echo $?)

# A real start on a free port, then SIGTERM.
port=$(( 20000 + RANDOM % 12700 ))  # below the ephemeral range
printf 'brokerClusterName=C\nbrokerName=b1\nlistenPort=%s\nbindAddress=127.0.0.1\nstorePathRootDir=%s\nsomeUnknownKey=1\n' \
  "$port" "$work/store" > "$work/broker.conf"
"$broker" -c "$work/broker.conf" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/log" && break
  sleep 0.1
done
check "the broker starts and listens" $(grep -q "listening on 127.0.0.1:$port" "$work/log"; echo $?)
check "an unknown key is warned about" $(grep -q "unknown config key ignored: someUnknownKey" "$work/log"; echo $?)
check "the abort file exists while it runs" $([ -e "$work/store/abort" ]; echo $?)
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
wait "$pid"; rc=$?
check "SIGTERM exits 0 (got $rc)" $([ "$rc" -eq 0 ]; echo $?)
check "shutdown saved offsets and closed the store" $(grep -q "broker stopped: offsets saved, store closed" "$work/log"; echo $?)
check "no abort file after a clean stop" $([ ! -e "$work/store/abort" ]; echo $?)
check "topics.json was written" $([ -s "$work/store/config/topics.json" ]; echo $?)
if [ "$failed" -ne 0 ]; then echo "--- broker log"; cat "$work/log"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
