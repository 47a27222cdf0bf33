#!/usr/bin/env bash
# Interop test: the real ali-ons@3.12.0 client (npm, pinned by
# package-lock.json) against rmq-namesrv and rmq-broker on 127.0.0.1.
#
#   tests/interop/run.sh BUILD_DIR           the cases of interop.js
#   tests/interop/run.sh --smoke BUILD_DIR   namesrv only: ali-ons' admin
#                                            calls against rmq-namesrv
#
# Installs the client with `npm ci`, picks free ports, starts the servers (a
# namesrv, broker-a's master and its SLAVE) with
# a temporary store, runs `node interop.js`, stops the servers (SIGTERM, then
# SIGKILL after a timeout) and exits with the test's status. The servers'
# logs are printed when anything failed; the temporary directory is kept then.
# Environment: INTEROP_VERBOSE=1 streams ali-ons' log to stderr;
# INTEROP_ONLY=a,c runs a subset of the cases.
# shellcheck disable=SC2317  # functions run from the EXIT trap
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stop_timeout=10     # s to wait after SIGTERM before SIGKILL
start_timeout=20    # s for a server to accept connections
test_timeout=285    # s for the whole node run (it has its own 270 s watchdog)

die() { echo "interop: $*" >&2; exit 1; }

smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
if [ $# -ne 1 ]; then
  echo "usage: $0 [--smoke] BUILD_DIR" >&2
  exit 2
fi
[ -d "$1" ] || die "build directory $1 does not exist"
build=$(cd "$1" && pwd)
namesrv_bin=$build/tools/rmq-namesrv
broker_bin=$build/tools/rmq-broker

[ -x "$namesrv_bin" ] || die "$namesrv_bin is missing or not executable (build the rmq-namesrv target first)"
if [ $smoke -eq 0 ] && [ ! -x "$broker_bin" ]; then
  die "$broker_bin is missing or not executable (build the rmq-broker target first; '$0 --smoke $1' tests the namesrv alone)"
fi
command -v node >/dev/null 2>&1 || die "node is not installed (scripts/setup.sh installs nodejs and npm)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (scripts/setup.sh installs nodejs and npm)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
  die "node $(node --version) is too old, need >= 18"

# --- the client ------------------------------------------------------------
echo "interop: npm ci (ali-ons from package-lock.json)"
if ! (cd "$here" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error); then
  die "npm ci failed in $here"
fi

# --- ports and config --------------------------------------------------------
# Two free ports on 127.0.0.1: the namesrv's, and the broker's listenPort P,
# chosen so that P+1 (the broker's HA port by RocketMQ convention) is free too.
# All probe sockets stay open until every port is chosen, so they differ.
ports=$(node -e '
  const net = require("net");
  const held = [];
  const listen = port => new Promise(resolve => {
    const s = net.createServer();
    s.once("error", () => resolve(null));
    s.listen({ host: "127.0.0.1", port, exclusive: true }, () => { held.push(s); resolve(s.address().port); });
  });
  (async () => {
    const ns = await listen(0);
    const pair = async () => {
      for (let i = 0; i < 50; i++) {
        const p = await listen(0);
        if (p !== null && p < 65535 && (await listen(p + 1)) !== null) return p;
      }
      return null;
    };
    const broker = await pair();
    const slave = await pair();
    held.forEach(s => s.close());
    if (ns === null || broker === null || slave === null) process.exit(1);
    console.log(ns, broker, slave);
  })();
') || die "could not find free ports on 127.0.0.1"
read -r ns_port broker_port slave_port <<<"$ports"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rmq-interop.XXXXXX") || die "mktemp failed"
mkdir -p "$tmp/home" "$tmp/store"
cat >"$tmp/broker.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
namesrvAddr=127.0.0.1:$ns_port
listenPort=$broker_port
brokerIP1=127.0.0.1
storePathRootDir=$tmp/store
flushDiskType=ASYNC_FLUSH
autoCreateTopicEnable=true
# Pull answers by sendfile from the CommitLog; the slave below keeps the
# default (copied and validated), so ali-ons consumes through both.
transferMsgByHeap=false
EOF
# broker-a's slave (case h reads from it after killing the master).
cat >"$tmp/slave.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=1
brokerRole=SLAVE
slaveReadEnable=true
namesrvAddr=127.0.0.1:$ns_port
listenPort=$slave_port
brokerIP1=127.0.0.1
storePathRootDir=$tmp/store-s
flushDiskType=ASYNC_FLUSH
EOF

# --- servers -------------------------------------------------------------------
ns_pid=""
broker_pid=""
slave_pid=""
test_pid=""
status=1

# stop_server PID NAME: SIGTERM, wait up to $stop_timeout s, then SIGKILL.
stop_server() {
  local pid=$1 name=$2 i rc
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < stop_timeout * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "interop: warning: $name (pid $pid) still running ${stop_timeout} s after SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  wait "$pid" 2>/dev/null
  rc=$?
  # 137: case h SIGKILLs the master on purpose.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ] && ! { [ "$rc" -eq 137 ] && [ "$name" = rmq-broker ]; }; then
    echo "interop: warning: $name exited with status $rc" >&2
  fi
}

print_log() {
  local name=$1 file=$2 lines
  [ -f "$file" ] || return 0
  lines=$(wc -l <"$file")
  echo "---- $name log ($file, $lines lines$([ "$lines" -gt 400 ] && echo ', last 400 shown')) ----"
  tail -n 400 "$file"
  echo "---- end of $name log ----"
}

cleanup() {
  trap - EXIT INT TERM
  stop_server "$test_pid" "node interop.js"
  stop_server "$slave_pid" "rmq-broker (slave)"
  stop_server "$broker_pid" rmq-broker
  stop_server "$ns_pid" rmq-namesrv
  if [ "$status" -ne 0 ]; then
    print_log rmq-namesrv "$tmp/namesrv.log"
    print_log rmq-broker "$tmp/broker.log"
    print_log "rmq-broker (slave)" "$tmp/slave.log"
    echo "interop: FAILED (status $status); files kept in $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'status=130; exit 130' INT
trap 'status=143; exit 143' TERM

# wait_port PORT PID NAME: until 127.0.0.1:PORT accepts a connection.
wait_port() {
  local port=$1 pid=$2 name=$3 i
  for ((i = 0; i < start_timeout * 10; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      echo "interop: $name exited during start-up (status $?)" >&2
      return 1
    fi
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "interop: $name did not accept connections on 127.0.0.1:$port within ${start_timeout} s" >&2
  return 1
}

echo "interop: rmq-namesrv on 127.0.0.1:$ns_port$([ $smoke -eq 0 ] && echo ", rmq-broker on 127.0.0.1:$broker_port"), files in $tmp"
HOME=$tmp/home "$namesrv_bin" --listenPort="$ns_port" --bindAddress=127.0.0.1 \
  --kvConfigPath="$tmp/kv.json" >"$tmp/namesrv.log" 2>&1 &
ns_pid=$!
wait_port "$ns_port" "$ns_pid" rmq-namesrv || exit 1

if [ $smoke -eq 0 ]; then
  HOME=$tmp/home "$broker_bin" -c "$tmp/broker.conf" >"$tmp/broker.log" 2>&1 &
  broker_pid=$!
  wait_port "$broker_port" "$broker_pid" rmq-broker || exit 1
  HOME=$tmp/home "$broker_bin" -c "$tmp/slave.conf" >"$tmp/slave.log" 2>&1 &
  slave_pid=$!
  wait_port "$slave_port" "$slave_pid" "rmq-broker (slave)" || exit 1
fi

# --- the test ------------------------------------------------------------------
node_args=("$here/interop.js")
[ $smoke -eq 1 ] && node_args+=(--smoke)
[ -n "${INTEROP_ONLY:-}" ] && node_args+=("--only=$INTEROP_ONLY")
node_args+=("127.0.0.1:$ns_port")
[ $smoke -eq 0 ] && node_args+=("127.0.0.1:$broker_port")

# In the background so that a signal to this script runs the trap at once
# (bash defers traps until a foreground command ends; `wait` is interrupted).
# Case h SIGKILLs the master (INTEROP_MASTER_PID) and reads from the slave.
(cd "$here" && INTEROP_MASTER_PID="$broker_pid" INTEROP_SLAVE_ADDR="127.0.0.1:$slave_port" \
  exec timeout -k 5 "$test_timeout" node "${node_args[@]}") &
test_pid=$!
wait "$test_pid"
status=$?
test_pid=""
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
  echo "interop: node interop.js did not finish within ${test_timeout} s"
  echo "0 passed, 1 failed"
fi
exit "$status"
