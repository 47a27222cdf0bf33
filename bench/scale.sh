#!/usr/bin/env bash
# A broker holding many messages (a documented run, not CI):
#   1. fills topic Scale with MESSAGES bodies of BODY bytes (ASYNC_FLUSH,
#      128 in flight) and prints the broker's resident memory (VmRSS, VmHWM);
#   2. writes a fresh backlog on ScaleFresh and consumes it (the fresh rate),
#      then consumes Scale from its oldest message while a producer keeps
#      sending to ScaleFresh (the old rate), and prints old / fresh;
#   3. SIGKILLs the broker and restarts it on the same store, and prints the
#      time from the restart to the first acknowledged send.
#
#   bench/scale.sh [BUILD_DIR=build] [MESSAGES=10000000] [BODY=128] [STORE_DIR=mktemp]
set -u
build="${1:-build}"; messages="${2:-10000000}"; body="${3:-128}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rmq-scale.XXXXXX")"
store="${4:-$work/store}"
ns_port=$(( 30000 + RANDOM % 10000 )); broker_port=$(( ns_port + 2 ))
ns_addr=127.0.0.1:$ns_port
bin="$build/tools"
"$bin/rmq-namesrv" --listenPort=$ns_port --bindAddress=127.0.0.1 --kvConfigPath="$work/kv.json" >"$work/ns.log" 2>&1 &
ns=$!
broker=; producer=
cleanup() {
  kill $producer $broker $ns 2>/dev/null; wait $producer $broker $ns 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

start_broker() {
  "$bin/rmq-broker" --namesrvAddr=$ns_addr --listenPort=$broker_port --bindAddress=127.0.0.1 \
    --storePathRootDir="$store" >>"$work/broker.log" 2>&1 &
  broker=$!
}
memory() { awk '/^VmRSS|^VmHWM/ { printf "%s %d MiB  ", $1, $2 / 1024 }' "/proc/$broker/status"; }
field() { sed -E "s/.* $1=([0-9.]+).*/\\1/"; }
# The mean per-second rate of a consumer's full seconds, the first left out.
consume_rate() {
  "$bin/rmq-bench" consumer -n $ns_addr -t "$1" -g "$2" -d "$3" |
    awk '/^consumer second=/ { n++; split($3, kv, "="); if (n > 1 && kv[2] > 0) { s += kv[2]; c++ } }
         END { print (c ? int(s / c) : 0) }'
}

start_broker
sleep 2
echo "scale: $messages messages of $body B, store $store"
sent=0; t0=$(date +%s)
while (( sent < messages )); do
  line=$("$bin/rmq-bench" producer -n $ns_addr -t Scale -s "$body" -w 128 -d 30 | grep '^summary')
  n=$(field sent <<<"$line")
  [[ -z "$n" || "$n" == "$line" || "$n" -eq 0 ]] && { echo "scale: no sends: $line" >&2; exit 1; }
  sent=$(( sent + n ))
  echo "scale: $sent sent ($(field tps <<<"$line") msg/s)  $(memory)"
done
echo "scale: filled in $(( $(date +%s) - t0 )) s; store $(du -sh "$store" | cut -f1); broker $(memory)"

"$bin/rmq-bench" producer -n $ns_addr -t ScaleFresh -s "$body" -w 128 -d 10 | grep '^summary'
fresh=$(consume_rate ScaleFresh scale-fresh 6)
"$bin/rmq-bench" producer -n $ns_addr -t ScaleFresh -s "$body" -w 32 -d 20 >/dev/null &
producer=$!
old=$(consume_rate Scale scale-old 10)
wait $producer; producer=
echo "scale: consume fresh backlog $fresh msg/s; from the oldest, producers sending: $old msg/s;" \
  "old / fresh $(awk -v o="$old" -v f="$fresh" 'BEGIN { printf "%.2f", f ? o / f : 0 }'); broker $(memory)"

kill -9 $broker; wait $broker 2>/dev/null
start=$(date +%s.%N)
start_broker
until "$bin/rmq-admin" sendMessage -n $ns_addr -t Scale -p after-kill >/dev/null 2>&1; do
  kill -0 $broker 2>/dev/null || { echo "scale: the broker died on restart" >&2; tail -5 "$work/broker.log" >&2; exit 1; }
  sleep 0.05
done
echo "scale: after SIGKILL, first send acknowledged $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s after the restart"
grep -E "recovery" "$work/broker.log" | tail -1
