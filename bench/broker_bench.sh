#!/usr/bin/env bash
# rmq-bench against a real rmq-namesrv + rmq-broker on 127.0.0.1 (free
# ports, a temp store): producer runs of a few shapes, then a consumer
# draining what they sent. Prints each run's summary line.
#
#   bench/broker_bench.sh [BUILD_DIR=build] [SECONDS=5]
set -u
build="${1:-build}"
seconds="${2:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rmq-broker-bench.XXXXXX")"
ns_port=$(( 30000 + RANDOM % 10000 )); broker_port=$(( ns_port + 2 ))
"$build/tools/rmq-namesrv" --listenPort=$ns_port --bindAddress=127.0.0.1 --kvConfigPath="$work/kv.json" >"$work/ns.log" 2>&1 &
ns=$!
"$build/tools/rmq-broker" --namesrvAddr=127.0.0.1:$ns_port --listenPort=$broker_port --bindAddress=127.0.0.1 \
  --storePathRootDir="$work/store" --flushDiskType="${FLUSH:-ASYNC_FLUSH}" >"$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker $ns 2>/dev/null; wait $broker $ns 2>/dev/null; rm -rf "$work"' EXIT
sleep 1.5
echo "flushDiskType=${FLUSH:-ASYNC_FLUSH}, $seconds s per run, namesrv :$ns_port, broker :$broker_port"
for shape in "128 1" "128 32" "1024 32" "4096 32"; do
  set -- $shape
  "$build/tools/rmq-bench" producer -n 127.0.0.1:$ns_port -t Bench -s "$1" -w "$2" -d "$seconds" | grep '^summary'
done
"$build/tools/rmq-bench" consumer -n 127.0.0.1:$ns_port -t Bench -d "$seconds" | grep '^summary'
