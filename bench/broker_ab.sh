#!/usr/bin/env bash
# Two rmq-broker binaries, A (the baseline) and B (the change), measured in
# one script: rounds alternate A and B, each a fresh broker and store under
# the same rmq-bench producer run. Prints every run, then the medians and
# B/A ratios of send rate and of broker CPU per message (utime + stime of
# the broker process over the run, divided by the messages sent).
#
#   bench/broker_ab.sh A_BROKER B_BROKER [BUILD_DIR=build] [SECONDS=5] [ROUNDS=3]
#   env: FLUSH (ASYNC_FLUSH), SIZE (128), INFLIGHT (32)
set -u
a_bin="$1"; b_bin="$2"
build="${3:-build}"; seconds="${4:-5}"; rounds="${5:-3}"
flush="${FLUSH:-ASYNC_FLUSH}"; size="${SIZE:-128}"; inflight="${INFLIGHT:-32}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rmq-broker-ab.XXXXXX")"
ns_port=$(( 30000 + RANDOM % 10000 )); broker_port=$(( ns_port + 2 ))
tick=$(getconf CLK_TCK)
"$build/tools/rmq-namesrv" --listenPort=$ns_port --bindAddress=127.0.0.1 --kvConfigPath="$work/kv.json" \
  >"$work/ns.log" 2>&1 &
ns=$!
broker=
trap 'kill $broker $ns 2>/dev/null; wait $broker $ns 2>/dev/null; rm -rf "$work"' EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run BIN LABEL: one broker, one producer run; appends "LABEL tps us_per_msg".
run() {
  rm -rf "$work/store"
  "$1" --namesrvAddr=127.0.0.1:$ns_port --listenPort=$broker_port --bindAddress=127.0.0.1 \
    --storePathRootDir="$work/store" --flushDiskType="$flush" >"$work/broker.log" 2>&1 &
  broker=$!
  sleep 1.5
  local before after line sent tps
  before=$(cpu_ticks $broker)
  line=$("$build/tools/rmq-bench" producer -n 127.0.0.1:$ns_port -t AbBench -s "$size" -w "$inflight" \
    -d "$seconds" | grep '^summary')
  after=$(cpu_ticks $broker)
  kill $broker; wait $broker 2>/dev/null; broker=
  sent=$(sed -E 's/.* sent=([0-9]+).*/\1/' <<<"$line")
  tps=$(sed -E 's/.* tps=([0-9]+).*/\1/' <<<"$line")
  if [[ -z "$sent" || "$sent" == "$line" || "$sent" -eq 0 ]]; then
    echo "broker_ab: no result from $2: $line" >&2; exit 1
  fi
  local us
  us=$(awk -v t=$(( after - before )) -v hz="$tick" -v n="$sent" 'BEGIN { printf "%.2f", t * 1000000 / hz / n }')
  echo "$2 $tps $us" >>"$work/results"
  echo "$2 tps=$tps broker_cpu_us_per_msg=$us"
}

echo "flush=$flush size=$size in_flight=$inflight seconds=$seconds rounds=$rounds"
for (( r = 0; r < rounds; ++r )); do
  run "$a_bin" A
  run "$b_bin" B
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
a_tps=$(awk '$1 == "A" { print $2 }' "$work/results" | median)
b_tps=$(awk '$1 == "B" { print $2 }' "$work/results" | median)
a_us=$(awk '$1 == "A" { print $3 }' "$work/results" | median)
b_us=$(awk '$1 == "B" { print $3 }' "$work/results" | median)
awk -v at="$a_tps" -v bt="$b_tps" -v au="$a_us" -v bu="$b_us" 'BEGIN {
  printf "median A: %d msg/s, %.2f us CPU/msg; B: %d msg/s, %.2f us CPU/msg\n", at, au, bt, bu
  printf "B/A: send rate %.2fx, broker CPU per message %.2fx\n", bt / at, (au > 0 ? bu / au : 0)
}'
