#!/usr/bin/env bash
# Master/slave on real processes: a namesrv, a SYNC_MASTER and its SLAVE
# (started from conf/2m-2s-sync's broker-a files); 10 000 messages sent;
# the master killed with SIGKILL; every message acknowledged SEND_OK is then
# consumed from the slave, intact.
#
#   tests/ha/master_kill_test.sh BUILD_DIR
set -u
build=$(cd "$1" && pwd) || exit 2
src=$(cd "$(dirname "$0")/../.." && pwd)
for bin in tools/rmq-namesrv tools/rmq-broker tools/rmq-admin tests/ha_check; do
  [ -x "$build/$bin" ] || { echo "$build/$bin is missing (build it first)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-ha.XXXXXX") || exit 2
pids=()
passed=0; failed=0
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
  if [ "$failed" -ne 0 ]; then
    for f in namesrv master slave; do echo "--- $f log"; tail -n 30 "$work/$f.log"; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
check() {  # name, condition-exit-status
  if [ "$2" -eq 0 ]; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi
}
. "$(dirname "$0")/../util/ports.sh"

ns_port=$(free_port); taken="$ns_port"
m_port=$(free_port); taken="$taken $m_port $((m_port + 1))"
s_port=$(free_port)
ns=127.0.0.1:$ns_port
"$build/tools/rmq-namesrv" --listenPort="$ns_port" --bindAddress=127.0.0.1 --kvConfigPath="$work/kv.json" \
  >"$work/namesrv.log" 2>&1 &
pids+=($!)
wait_port "$ns_port" "${pids[0]}" || { echo "rmq-namesrv did not start" >&2; exit 1; }
start_broker() {  # name conf port
  "$build/tools/rmq-broker" -c "$2" --namesrvAddr="$ns" --listenPort="$3" --bindAddress=127.0.0.1 \
    --brokerIP1=127.0.0.1 --storePathRootDir="$work/$1" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_port "$3" "$!" || { echo "rmq-broker $1 did not start" >&2; cat "$work/$1.log"; exit 1; }
}
start_broker master "$src/conf/2m-2s-sync/broker-a.properties" "$m_port"
master_pid=${pids[1]}
start_broker slave "$src/conf/2m-2s-sync/broker-a-s.properties" "$s_port"

# The slave finds its master through the namesrv and connects.
for _ in $(seq 1 100); do grep -q "HA: connected to master" "$work/slave.log" && break; sleep 0.1; done
check "the slave learned its master from the namesrv and connected" \
  "$(grep -q "HA: connected to master 127.0.0.1:$((m_port + 1))" "$work/slave.log"; echo $?)"
"$build/tools/rmq-admin" updateTopic -b "127.0.0.1:$m_port" -t HaTopic -r 4 -w 4 >/dev/null 2>&1
check "the topic is created on the master" $?
out=$("$build/tools/rmq-admin" clusterList -n "$ns" 2>&1)
check "clusterList shows the master and its slave with their roles" \
  "$(grep -q "broker-a *0 .*SYNC_MASTER" <<<"$out" && grep -q "broker-a *1 .*SLAVE" <<<"$out"; echo $?)"
sleep 11  # the slave copies the topic from its master (every 10 s)

out=$("$build/tests/ha_check" send "$ns" HaTopic 10000 "$work/acked" 2>&1)
echo "$out" | tail -1
acked=$(wc -l <"$work/acked")
check "10 000 messages sent, all acknowledged SEND_OK by the SYNC_MASTER (acked: $acked)" \
  "$([ "$acked" -eq 10000 ]; echo $?)"

kill -KILL "$master_pid"
wait "$master_pid" 2>/dev/null
out=$("$build/tests/ha_check" consume "$ns" HaTopic HaCheckCG "$work/acked" 120 2>&1)
rc=$?
echo "$out" | tail -1
check "every acknowledged message is consumed from the slave after the master's SIGKILL" "$rc"
"$build/tools/rmq-admin" sendMessage -n "$ns" -t HaTopic -p x >"$work/send.out" 2>&1
check "with no master left, a send is refused (exit 1)" "$([ $? -eq 1 ]; echo $?)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
