#!/usr/bin/env bash
# Replication cost, in one script on 127.0.0.1: rmq-bench producer runs
# against (1) a lone ASYNC_MASTER, (2) an ASYNC_MASTER with a SLAVE and
# (3) a SYNC_MASTER with a SLAVE (every send waits for the slave's
# acknowledgement). Prints each run's summary and its throughput as a ratio
# to (1). FLUSH sets every broker's flushDiskType.
#
#   bench/replication_bench.sh [BUILD_DIR=build] [SECONDS=5] [BODY=128] [IN_FLIGHT=32] [FLUSH=ASYNC_FLUSH]
set -u
build="${1:-build}"
seconds="${2:-5}"
body="${3:-128}"
inflight="${4:-32}"
flush="${5:-ASYNC_FLUSH}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rmq-repl-bench.XXXXXX")"
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT
base=$(( 30000 + RANDOM % 10000 ))
run() {  # label role with_slave
  local dir="$work/$1" ns_port=$base m_port=$((base + 2)) s_port=$((base + 4))
  mkdir -p "$dir"
  "$build/tools/rmq-namesrv" --listenPort=$ns_port --bindAddress=127.0.0.1 --kvConfigPath="$dir/kv.json" >"$dir/ns.log" 2>&1 &
  pids+=($!)
  sleep 0.5
  "$build/tools/rmq-broker" --namesrvAddr=127.0.0.1:$ns_port --listenPort=$m_port --bindAddress=127.0.0.1 \
    --brokerIP1=127.0.0.1 --storePathRootDir="$dir/master" --brokerRole="$2" --flushDiskType="$flush" >"$dir/master.log" 2>&1 &
  pids+=($!)
  if [ "$3" = yes ]; then
    sleep 0.5
    "$build/tools/rmq-broker" --namesrvAddr=127.0.0.1:$ns_port --listenPort=$s_port --bindAddress=127.0.0.1 \
      --brokerIP1=127.0.0.1 --storePathRootDir="$dir/slave" --brokerRole=SLAVE --brokerId=1 --flushDiskType="$flush" >"$dir/slave.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 50); do grep -q "HA: connected" "$dir/slave.log" && break; sleep 0.1; done
  fi
  sleep 1
  "$build/tools/rmq-bench" producer -n 127.0.0.1:$ns_port -t Bench -s "$body" -w "$inflight" -d "$seconds" \
    | grep '^summary' | sed "s/^/$1 /"
  stop_all
  base=$((base + 10))
}
echo "body=$body in_flight=$inflight $flush, $seconds s per run"
out=$( { run async-alone ASYNC_MASTER no; run async+slave ASYNC_MASTER yes; run sync+slave SYNC_MASTER yes; } )
echo "$out"
ref=$(awk '/^async-alone/ { for (i = 1; i <= NF; i++) if ($i ~ /^tps=/) { sub("tps=", "", $i); print $i } }' <<<"$out")
awk -v ref="$ref" '{ for (i = 1; i <= NF; i++) if ($i ~ /^tps=/) { v = $i; sub("tps=", "", v);
  printf "%-12s tps=%s ratio=%.2f\n", $1, v, (ref > 0 ? v / ref : 0) } }' <<<"$out"
