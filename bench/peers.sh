#!/usr/bin/env bash
# Peer benchmark: our broker beside Redis Streams, in one run on 127.0.0.1.
# Starts its own rmq-namesrv + rmq-broker and redis-server (free ports, temp
# dirs, everything stopped and removed on exit), then for each flush mode
#   ASYNC: flushDiskType=ASYNC_FLUSH  vs  appendonly yes, appendfsync everysec
#   SYNC:  flushDiskType=SYNC_FLUSH   vs  appendonly yes, appendfsync always
# (fresh broker store and fresh Redis dir per mode) runs every cell of
# body size x in-flight sends: `rmq-bench producer` for SECONDS, and right
# after it redis-benchmark sending XADD to one stream key for SECONDS with
# the same number of requests in flight (-c N, -P 1) and a body of exactly
# SIZE bytes. After the ASYNC cells, a consume pass with 1 KiB bodies (ours:
# `rmq-bench consumer`, a push consumer, draining a backlog sent just before
# by `rmq-bench producer`; Redis: XREAD COUNT 100 from random positions of a
# stream filled with as many entries, 8 clients), then loopback bandwidth
# from iperf3. Prints markdown tables (for docs/perf.md) on stdout, progress
# on stderr. Never judges the numbers; fails when a server does not start
# or a run prints no result.
#
#   bench/peers.sh [BUILD_DIR=build] [SECONDS=5]
#   env: SIZES="128 1024 4096"  INFLIGHT="1 32 128"  MODES="ASYNC SYNC"
#        CONSUME_BACKLOG_SECONDS=30 (seconds of 1 KiB sends consumed after)
#        QUICK=1: 128 B, 32 in flight, ASYNC only, 1 s runs, 1 s backlog
#                 (CI runs it to keep the script working)
#
# Per run, CPU is utime+stime of the server process (/proc/PID/stat, all
# threads) over the run, divided by the messages it stored (ours: `sent=` of
# rmq-bench's summary; Redis: the growth of INFO commandstats' calls).
# redis-benchmark is given a huge -n and stopped by `timeout -s INT` after
# SECONDS; its rate is the last "overall" rps of its progress line. Redis
# AOF rewrites are off (auto-aof-rewrite-percentage 0) as RDB saves are
# (--save ''): neither server compacts in the background during a run.
# The two runs of a cell are back to back; which goes first alternates from
# cell to cell, and `sync` runs before every measured run so that dirty
# pages of one run are not written back during the next. The rmq binaries
# are copied first: the build tree may be relinked while the matrix runs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build="${1:-build}"
if [ "${QUICK:-0}" = 1 ]; then
  seconds="${2:-1}"
  sizes="${SIZES:-128}"; inflights="${INFLIGHT:-32}"; modes="${MODES:-ASYNC}"
else
  seconds="${2:-5}"
  sizes="${SIZES:-128 1024 4096}"; inflights="${INFLIGHT:-1 32 128}"; modes="${MODES:-ASYNC SYNC}"
fi
# The consume pass's backlog: our consumer drains some 100 000 1 KiB
# messages a second where the producer stores some 10 000, so a backlog of
# SECONDS of sends would be gone within the consumer's first second.
backlog_seconds="${CONSUME_BACKLOG_SECONDS:-30}"
[ "${QUICK:-0}" = 1 ] && backlog_seconds="${CONSUME_BACKLOG_SECONDS:-$seconds}"
sizes=${sizes//,/ }; inflights=${inflights//,/ }; modes=${modes//,/ }
modes=$(tr '[:lower:]' '[:upper:]' <<<"$modes")

die() { echo "peers.sh: $*" >&2; exit 1; }
note() { echo "peers.sh: $*" >&2; }

[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive integer, got '$seconds'"
[[ "$backlog_seconds" =~ ^[1-9][0-9]*$ ]] || die "CONSUME_BACKLOG_SECONDS must be a positive integer, got '$backlog_seconds'"
for s in $sizes; do [[ "$s" =~ ^[1-9][0-9]*$ ]] || die "bad size '$s' in SIZES"; done
for c in $inflights; do [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "bad in-flight count '$c' in INFLIGHT"; done
for m in $modes; do [[ "$m" = ASYNC || "$m" = SYNC ]] || die "bad mode '$m' in MODES (ASYNC, SYNC)"; done
for b in rmq-namesrv rmq-broker rmq-bench rmq-admin; do
  [ -x "$build/tools/$b" ] || die "$build/tools/$b is missing (build it first)"
done
for t in redis-server redis-benchmark redis-cli; do
  command -v "$t" >/dev/null 2>&1 || die "$t is not installed (Debian: apt-get install redis-server redis-tools; scripts/setup.sh does it)"
done
have_iperf=1
command -v iperf3 >/dev/null 2>&1 || { have_iperf=0; note "iperf3 is not installed: no loopback line (Debian: apt-get install iperf3)"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-peers.XXXXXX") || die "mktemp failed"
pids=()
stop_pid() {  # pid: SIGTERM, up to 10 s, then SIGKILL
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null
}
cleanup() {
  for p in "${pids[@]}"; do stop_pid "$p"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT TERM
. "$src/tests/util/ports.sh"

mkdir -p "$work/bin"
built=$(date -u -r "$build/tools/rmq-broker" '+%Y-%m-%d %H:%M UTC')
for b in rmq-namesrv rmq-broker rmq-bench rmq-admin; do cp "$build/tools/$b" "$work/bin/" || die "cannot copy $build/tools/$b"; done
bin="$work/bin"
hz=$(getconf CLK_TCK)
taken=""
port=""
pick_port() {  # sets port (not in a subshell: `taken` must remember it)
  port=$(free_port) || die "no free port"
  taken="$taken $port $((port + 1))"
}

cpu_ticks() {  # pid -> utime+stime in clock ticks (fields 14, 15; comm may hold spaces); nothing if gone
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  awk '{ print $12 + $13 }' <<<"${s##*) }"
}
alive() {  # name pid ticks-before ticks-after: fails the script if the server died during a run
  [ -n "$3" ] && [ -n "$4" ] && kill -0 "$2" 2>/dev/null || die "$1 (pid $2) died during a run"
}
us_per() {  # ticks count -> microseconds of CPU per item
  awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "-" }'
}
field() {  # name line -> value of name=VALUE
  grep -o "\b$1=[^ ]*" <<<"$2" | head -n 1 | cut -d= -f2
}

# --- servers --------------------------------------------------------------
ns_pid=""; broker_pid=""; redis_pid=""; ns_addr=""; redis_port=""
start_ours() {  # ASYNC|SYNC
  local dir="$work/ours-$1" ns_port broker_port
  mkdir -p "$dir"
  pick_port; ns_port=$port
  pick_port; broker_port=$port
  "$bin/rmq-namesrv" --listenPort="$ns_port" --bindAddress=127.0.0.1 --kvConfigPath="$dir/kv.json" >"$dir/namesrv.log" 2>&1 &
  ns_pid=$!; pids+=("$ns_pid")
  wait_port "$ns_port" "$ns_pid" || { tail -n 20 "$dir/namesrv.log" >&2; die "rmq-namesrv did not start"; }
  "$bin/rmq-broker" --namesrvAddr="127.0.0.1:$ns_port" --listenPort="$broker_port" --bindAddress=127.0.0.1 \
    --brokerIP1=127.0.0.1 --storePathRootDir="$dir/store" --flushDiskType="$1_FLUSH" >"$dir/broker.log" 2>&1 &
  broker_pid=$!; pids+=("$broker_pid")
  wait_port "$broker_port" "$broker_pid" || { tail -n 20 "$dir/broker.log" >&2; die "rmq-broker did not start"; }
  ns_addr="127.0.0.1:$ns_port"
  # Senders find the broker through the namesrv: wait for its registration.
  for _ in $(seq 1 100); do
    "$bin/rmq-admin" clusterList -n "$ns_addr" 2>/dev/null | grep -q "127.0.0.1:$broker_port" && return 0
    sleep 0.1
  done
  tail -n 20 "$dir/broker.log" >&2
  die "rmq-broker did not register with rmq-namesrv within 10 s"
}
stop_ours() { stop_pid "$broker_pid"; stop_pid "$ns_pid"; rm -rf "$work/ours-$1"; }
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
start_redis() {  # everysec|always
  local dir="$work/redis-$1"
  mkdir -p "$dir"
  pick_port; redis_port=$port
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly yes --appendfsync "$1" \
    --auto-aof-rewrite-percentage 0 --daemonize no --logfile "$dir/redis.log" &
  redis_pid=$!; pids+=("$redis_pid")
  for _ in $(seq 1 100); do
    [ "$(rcli ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2
  die "redis-server did not start"
}
stop_redis() { stop_pid "$redis_pid"; rm -rf "$work/redis-$1"; }
redis_calls() {  # command -> "calls errors" so far (INFO commandstats; errors: rejected + failed)
  rcli info commandstats | tr -d '\r' | awk -F'[:,=]' -v c="cmdstat_$1" '
    $1 == c { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1) }
    END { print v["calls"] + 0, v["rejected_calls"] + v["failed_calls"] }'
}

# --- one run each -----------------------------------------------------------
# ours_producer topic size inflight secs: sets o_rate o_sent o_failed o_cpu
ours_producer() {
  local out t0 t1 line
  sync
  t0=$(cpu_ticks "$broker_pid")
  out=$("$bin/rmq-bench" producer -n "$ns_addr" -t "$1" -s "$2" -w "$3" -d "$4" 2>"$work/bench.err")
  t1=$(cpu_ticks "$broker_pid")
  alive rmq-broker "$broker_pid" "$t0" "$t1"
  line=$(grep '^summary: producer' <<<"$out") || { cat "$work/bench.err" >&2; die "rmq-bench producer -s $2 -w $3 printed no summary"; }
  o_sent=$(field sent "$line"); o_rate=$(field tps "$line"); o_failed=$(field failed "$line")
  [ -n "$o_sent" ] && [ "$o_sent" -gt 0 ] || { echo "$line" >&2; cat "$work/bench.err" >&2; die "rmq-bench producer -s $2 -w $3 sent nothing"; }
  o_cpu=$(us_per $((t1 - t0)) "$o_sent")
}
# redis_timed secs command clients args...: sets r_rate r_ops r_ticks r_cpu
# (redis-benchmark with a huge -n, stopped after secs; rate = last "overall")
redis_timed() {
  local secs=$1 cmd=$2 clients=$3 c0 c1 e0 e1 t0 t1
  shift 3
  sync
  read -r c0 e0 < <(redis_calls "$cmd"); t0=$(cpu_ticks "$redis_pid")
  timeout -s INT "$secs" redis-benchmark -h 127.0.0.1 -p "$redis_port" -c "$clients" -n 2000000000 -P 1 "$@" \
    >"$work/rb.out" 2>&1
  t1=$(cpu_ticks "$redis_pid")
  alive redis-server "$redis_pid" "$t0" "$t1"
  read -r c1 e1 < <(redis_calls "$cmd")
  if [ "$e1" != "$e0" ]; then
    tr '\r' '\n' <"$work/rb.out" | grep -i -m 3 error | cut -c 1-200 >&2
    die "redis-server answered $((e1 - e0)) $cmd requests with an error"
  fi
  r_rate=$(tr '\r' '\n' <"$work/rb.out" | grep -o 'rps=[0-9.]* (overall: [0-9.]*)' | tail -n 1 | sed 's/.*overall: //' | tr -dc '0-9.')
  r_ops=$((c1 - c0))
  if [ -z "$r_rate" ] || [ "$r_ops" -le 0 ]; then
    tr '\r' '\n' <"$work/rb.out" | tail -n 5 | cut -c 1-200 >&2
    die "redis-benchmark $cmd -c $clients printed no result"
  fi
  r_rate=$(printf '%.0f' "$r_rate")
  r_ticks=$((t1 - t0))
  r_cpu=$(us_per "$r_ticks" "$r_ops")
}

rows=(); notes=()
cons_rows=(); loop_line=""
ours_consume_mbs=""; ours_consume_ge=""
consume_pass() {
  local out t0 t1 line backlog received rate how fill r_entries r_mbs csecs
  note "consume pass: a backlog of 1 KiB messages on PeersConsume ($backlog_seconds s of sends, 32 in flight)"
  ours_producer PeersConsume 1024 32 "$backlog_seconds"
  backlog=$o_sent
  csecs=$(( seconds > 5 ? seconds : 5 ))
  [ "${QUICK:-0}" = 1 ] && csecs=$seconds
  sync
  t0=$(cpu_ticks "$broker_pid")
  out=$("$bin/rmq-bench" consumer -n "$ns_addr" -t PeersConsume -g peers-consume -d "$csecs" 2>"$work/bench.err")
  t1=$(cpu_ticks "$broker_pid")
  alive rmq-broker "$broker_pid" "$t0" "$t1"
  line=$(grep '^summary: consumer' <<<"$out") || { cat "$work/bench.err" >&2; die "rmq-bench consumer printed no summary"; }
  received=$(field received "$line")
  [ -n "$received" ] && [ "$received" -gt 0 ] || { echo "$line" >&2; die "rmq-bench consumer received nothing"; }
  # The rate of the full seconds: of the per-second lines that delivered
  # something, not the first (it holds the consumer's start) nor, when the
  # backlog ran out, the last (partial). None left: received / seconds with
  # deliveries, a lower bound (the whole backlog went within them).
  read -r rate how < <(grep -o '^consumer second=[0-9]* tps=[1-9][0-9]*' <<<"$out" | sed 's/.*tps=//' \
    | awk -v n="$received" -v drained=$(( received >= backlog )) '
        { t[NR] = $1 }
        END {
          last = NR - drained; k = 0; sum = 0
          for (i = 2; i <= last; i++) { sum += t[i]; k++ }
          if (k > 0) printf "%.0f mean_of_%d_full_seconds\n", sum / k, k
          else printf "%.0f lower_bound\n", n / (NR > 0 ? NR : 1)
        }')
  ours_consume_mbs=$(awk -v r="$rate" 'BEGIN { printf "%.1f", r * 1024 / 1e6 }')
  local shown=$rate shown_mbs=$ours_consume_mbs
  if [ "$how" = lower_bound ]; then
    shown="≥ $rate"; shown_mbs="≥ $ours_consume_mbs"; ours_consume_ge="≥ "
    how="lower bound: the whole backlog went within the first second(s); a longer CONSUME_BACKLOG_SECONDS measures it"
  else
    how="${how//_/ } (the first second, with the start, left out)"
  fi
  cons_rows+=("| ours: \`rmq-bench consumer\` (push consumer, new group, from offset 0) | $shown | $shown_mbs | $(us_per $((t1 - t0)) "$received") | $received of a backlog of $backlog received in $csecs s; rate: $how |")

  # Redis: a stream of as many 1 KiB entries (ids 1-0 .. N-0, so that reads can start anywhere), then XREAD COUNT 100.
  fill=$(( backlog > 10000 ? backlog : 10000 ))
  note "consume pass: filling a Redis stream with $fill entries of 1 KiB"
  awk -v n="$fill" 'BEGIN {
      v = sprintf("%1024s", ""); gsub(/ /, "x", v)
      for (i = 1; i <= n; i++) { id = i "-0"; printf "*5\r\n$4\r\nXADD\r\n$13\r\npeers:consume\r\n$%d\r\n%s\r\n$1\r\nf\r\n$1024\r\n%s\r\n", length(id), id, v }
    }' | rcli --pipe >"$work/pipe.out" 2>&1 || { cat "$work/pipe.out" >&2; die "redis-cli --pipe failed"; }
  [ "$(rcli xlen peers:consume)" = "$fill" ] || { cat "$work/pipe.out" >&2; die "the Redis stream holds $(rcli xlen peers:consume) entries, not $fill"; }
  redis_timed "$seconds" xread 8 -r $((fill - 100)) XREAD COUNT 100 STREAMS peers:consume __rand_int__
  r_entries=$((r_rate * 100))
  r_mbs=$(awk -v r="$r_entries" 'BEGIN { printf "%.1f", r * 1024 / 1e6 }')
  cons_rows+=("| redis: XREAD COUNT 100 from random ids, 8 clients | $r_entries | $r_mbs | $(us_per "$r_ticks" $((r_ops * 100))) | ${r_rate} XREAD/s over a stream of $fill |")
  rcli unlink peers:consume >/dev/null
}

loopback() {
  local secs=$1 bps mbs
  pick_port
  iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$work/iperf-s.log" 2>&1 &
  local spid=$!; pids+=("$spid")
  # Not wait_port: with -1 the server would take its probe for the one
  # client. A LISTEN entry (state 0A) in /proc/net/tcp instead.
  local hex; hex=$(printf '%04X' "$port")
  for _ in $(seq 1 100); do grep -qE "^ *[0-9]+: [0-9A-F]+:$hex 0+:0000 0A " /proc/net/tcp && break; sleep 0.1; done
  grep -qE "^ *[0-9]+: [0-9A-F]+:$hex 0+:0000 0A " /proc/net/tcp \
    || { note "iperf3 server did not start: no loopback line"; cat "$work/iperf-s.log" >&2; return 0; }
  iperf3 -c 127.0.0.1 -p "$port" -t "$secs" -J >"$work/iperf.json" 2>&1
  stop_pid "$spid"
  bps=$(awk '/"sum_received"/ { f = 1 } f && /"bits_per_second"/ { gsub(/[^0-9.eE+]/, "", $2); print $2; exit }' "$work/iperf.json")
  [ -n "$bps" ] || { note "iperf3 printed no sum_received (see below): no loopback line"; head -n 20 "$work/iperf.json" >&2; return 0; }
  mbs=$(awk -v b="$bps" 'BEGIN { printf "%.1f", b / 8 / 1e6 }')
  loop_line="Loopback (iperf3, one TCP stream, ${secs} s): $(awk -v b="$bps" 'BEGIN { printf "%.1f", b / 1e9 }') Gbit/s = $mbs MB/s"
  if [ -n "$ours_consume_mbs" ]; then
    loop_line="$loop_line; our consume rate (${ours_consume_ge}$ours_consume_mbs MB/s of bodies) is ${ours_consume_ge}$(awk -v a="$ours_consume_mbs" -v b="$mbs" 'BEGIN { printf "%.1f", 100 * a / b }')% of it."
  fi
}

# --- the matrix ---------------------------------------------------------------
start_time=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
cell=0
consumed=0
for mode in $modes; do
  if [ "$mode" = ASYNC ]; then fsync=everysec; label="ASYNC vs AOF everysec"; else fsync=always; label="SYNC vs AOF always"; fi
  note "$label: starting rmq-namesrv + rmq-broker (${mode}_FLUSH) and redis-server (appendfsync $fsync)"
  start_ours "$mode"
  start_redis "$fsync"
  for size in $sizes; do
    payload=$(printf '%*s' "$size" '' | tr ' ' x)
    for c in $inflights; do
      key="peers:$mode:$size:$c"
      if [ $((cell % 2)) -eq 0 ]; then
        ours_producer PeersBench "$size" "$c" "$seconds"
        redis_timed "$seconds" xadd "$c" XADD "$key" '*' f "$payload"
      else
        redis_timed "$seconds" xadd "$c" XADD "$key" '*' f "$payload"
        ours_producer PeersBench "$size" "$c" "$seconds"
      fi
      cell=$((cell + 1))
      rcli unlink "$key" >/dev/null
      ratio=$(awk -v a="$o_rate" -v b="$r_rate" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
      note "$label body=$size in_flight=$c: ours $o_rate msg/s, redis $r_rate ops/s, ratio $ratio"
      rows+=("| $label | $size | $c | $o_rate | $r_rate | $ratio | $o_cpu | $r_cpu |")
      [ "${o_failed:-0}" != 0 ] && notes+=("$label body=$size in_flight=$c: rmq-bench counted $o_failed failed sends")
    done
  done
  if [ "$mode" = ASYNC ]; then consume_pass; consumed=1; fi
  stop_redis "$fsync"
  stop_ours "$mode"
done
[ "$consumed" = 1 ] || notes+=("no consume pass: it runs after the ASYNC cells and MODES has no ASYNC")
if [ "$have_iperf" = 1 ]; then
  loopback $(( seconds < 3 ? seconds : 3 ))
else
  loop_line="Loopback: not measured (iperf3 is not installed)."
fi
elapsed=$(( $(date +%s) - start_time ))

# --- the report ---------------------------------------------------------------
rev=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo "?")
[ -n "$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)" ] && rev="$rev (tree has uncommitted changes)"
cpu_model=$(grep -m 1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev (rmq-broker built $built), nproc $(nproc), CPU ${cpu_model:-?}, kernel $(uname -r), $(redis-server --version | grep -o 'v=[^ ]*' | sed 's/v=/Redis /'); ${seconds} s per run, load average at start $load_start, ${elapsed} s in all"
echo
echo "| flush | body B | in flight | ours msg/s | redis ops/s | ours/redis | broker CPU µs/msg | redis CPU µs/op |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
if [ ${#cons_rows[@]} -gt 0 ]; then
  echo
  echo "| consume, 1 KiB bodies (ASYNC_FLUSH / AOF everysec) | entries/s | MB/s of bodies | server CPU µs/entry | |"
  echo "| --- | ---: | ---: | ---: | --- |"
  printf '%s\n' "${cons_rows[@]}"
fi
echo
echo "$loop_line"
for n in "${notes[@]}"; do echo "Note: $n"; done
exit 0
