# What the scripts that run a real rmq-namesrv and rmq-broker share
# (sourced): stopping a server, the checks' tally, and the cleanup that
# stops both, shows their logs when a check failed and removes $work.
# Callers set work, ns_pid and broker_pid, and trap cleanup EXIT.
passed=0; failed=0
stop_server() {  # pid: SIGTERM, then SIGKILL after 10 s
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  stop_server "${broker_pid:-}"
  stop_server "${ns_pid:-}"
  if [ "$failed" -ne 0 ]; then
    echo "--- namesrv log"; tail -n 50 "$work/namesrv.log"
    echo "--- broker log"; tail -n 50 "$work/broker.log"
  fi
  rm -rf "$work"
}
check() {  # name, condition-exit-status
  if [ "$2" -eq 0 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: $1"; fi
}
