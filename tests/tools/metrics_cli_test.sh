#!/usr/bin/env bash
# /metrics of a real rmq-namesrv and rmq-broker started with
# metricsExporterType=PROM: scraped over HTTP after rmq-admin sent messages,
# checked by Prometheus's own `promtool check metrics` (the text format and
# its naming rules), and read for the counts the sends must have moved.
# Then the refusals: an unknown exporter type and a taken port stop the
# server at start with a message naming the key or the address.
#
#   tests/tools/metrics_cli_test.sh BUILD_DIR
# shellcheck disable=SC2317  # functions run from the EXIT trap
set -u
if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
for bin in rmq-admin rmq-namesrv rmq-broker; do
  [ -x "$build/tools/$bin" ] || { echo "$build/tools/$bin is missing (build it first)" >&2; exit 2; }
done
# promtool comes with Debian's prometheus package (scripts/setup.sh installs it).
command -v promtool >/dev/null || { echo "FAIL: promtool is missing (apt-get install prometheus)"; exit 1; }
unset NAMESRV_ADDR
work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-metrics-cli.XXXXXX") || exit 2
ns_pid=""
broker_pid=""
. "$(dirname "$0")/../util/servers.sh"
trap cleanup EXIT
. "$(dirname "$0")/../util/ports.sh"

# scrape PORT FILE: GET /metrics over bash's /dev/tcp (no curl on a bare
# machine); the body in FILE, the status line in $status.
scrape() {
  local raw=$work/raw
  if ! exec 3<>"/dev/tcp/127.0.0.1/$1"; then status="no connection"; return 1; fi
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  cat <&3 >"$raw"
  exec 3<&-
  status=$(head -n 1 "$raw" | tr -d '\r')
  sed '1,/^\r$/d' "$raw" >"$2"
}
# sample FILE SERIES: the value of the sample SERIES (name{labels}), or "none".
sample() { awk -v s="$2" '$1 == s { print $2; found=1 } END { if (!found) print "none" }' "$1"; }

ns_port=$(free_port) || { echo "no free port" >&2; exit 1; }
taken=$ns_port
broker_port=$(free_port) || { echo "no free port" >&2; exit 1; }
taken="$taken $broker_port"
ns_metrics=$(free_port) || exit 1
taken="$taken $ns_metrics"
broker_metrics=$(free_port) || exit 1
ns=127.0.0.1:$ns_port
"$build/tools/rmq-namesrv" --listenPort="$ns_port" --bindAddress=127.0.0.1 --kvConfigPath="$work/kv.json" \
  --metricsExporterType=PROM --metricsPromExporterHost=127.0.0.1 --metricsPromExporterPort="$ns_metrics" \
  >"$work/namesrv.log" 2>&1 &
ns_pid=$!
wait_port "$ns_port" "$ns_pid" || { echo "rmq-namesrv did not start" >&2; cat "$work/namesrv.log"; exit 1; }
"$build/tools/rmq-broker" --namesrvAddr="$ns" --listenPort="$broker_port" --bindAddress=127.0.0.1 \
  --brokerIP1=127.0.0.1 --storePathRootDir="$work/store" --brokerClusterName=MetricsCluster \
  --metricsExporterType=PROM --metricsPromExporterPort="$broker_metrics" >"$work/broker.log" 2>&1 &
broker_pid=$!
wait_port "$broker_metrics" "$broker_pid" || { echo "rmq-broker did not start" >&2; cat "$work/broker.log"; exit 1; }

for _ in $(seq 1 50); do
  "$build/tools/rmq-admin" updateTopic -n "$ns" -c MetricsCluster -t MetricsT -r 2 -w 2 >/dev/null 2>&1 && break
  sleep 0.1
done
sent=0
for i in 1 2 3 4 5; do
  for _ in $(seq 1 50); do
    if "$build/tools/rmq-admin" sendMessage -n "$ns" -t MetricsT -p "body-$i" >/dev/null 2>&1; then
      sent=$((sent + 1)); break
    fi
    sleep 0.1
  done
done
check "five messages sent (sent $sent)" "$([ "$sent" -eq 5 ]; echo $?)"

node='cluster="MetricsCluster",node_type="broker",node_id="broker-a"'
scrape "$broker_metrics" "$work/broker.prom"
check "broker /metrics answers 200 ($status)" "$([ "$status" = "HTTP/1.1 200 OK" ]; echo $?)"
promtool check metrics <"$work/broker.prom" >"$work/promtool.out" 2>&1
check "promtool accepts the broker's metrics: $(head -c 600 "$work/promtool.out")" $?
v=$(sample "$work/broker.prom" "rocketmq_messages_in_total{$node,topic=\"MetricsT\",message_type=\"Normal\"}")
check "rocketmq_messages_in_total counts the five sends (got $v)" "$([ "$v" = 5 ]; echo $?)"
v=$(sample "$work/broker.prom" "rocketmq_throughput_in_total{$node,topic=\"MetricsT\",message_type=\"Normal\"}")
check "rocketmq_throughput_in_total counts their body bytes (got $v)" "$([ "$v" = 30 ]; echo $?)"
v=$(sample "$work/broker.prom" "rmq_store_commitlog_offset_bytes{$node,position=\"appended\"}")
check "the CommitLog's appended position is there (got $v)" "$([ "$v" != none ] && [ "$v" -gt 0 ]; echo $?)"
grep -q '^rocketmq_rpc_latency_bucket{.*request_code="310",response_code="0",le="+Inf"} 5$' "$work/broker.prom"
check "rocketmq_rpc_latency counts the five SEND_MESSAGE_V2 answers" $?

scrape "$ns_metrics" "$work/namesrv.prom"
check "namesrv /metrics answers 200 ($status)" "$([ "$status" = "HTTP/1.1 200 OK" ]; echo $?)"
promtool check metrics <"$work/namesrv.prom" >"$work/promtool.out" 2>&1
check "promtool accepts the namesrv's metrics: $(head -c 600 "$work/promtool.out")" $?
v=$(sample "$work/namesrv.prom" "rmq_namesrv_live_brokers{node_type=\"nameserver\",node_id=\"127.0.0.1:$ns_port\"}")
check "the namesrv counts one live broker (got $v)" "$([ "$v" = 1 ]; echo $?)"

# --- refusals at start ---------------------------------------------------------
"$build/tools/rmq-namesrv" --listenPort="$(free_port)" --bindAddress=127.0.0.1 --kvConfigPath="$work/kv2.json" \
  --metricsExporterType=OTLP_GRPC >"$work/refused.log" 2>&1
rc=$?
check "metricsExporterType=OTLP_GRPC is refused (rc $rc)" \
  "$([ "$rc" -ne 0 ] && grep -q "metricsExporterType" "$work/refused.log"; echo $?)"
"$build/tools/rmq-broker" --namesrvAddr="$ns" --listenPort="$(free_port)" --bindAddress=127.0.0.1 \
  --brokerIP1=127.0.0.1 --brokerName=broker-b --storePathRootDir="$work/store2" \
  --metricsExporterType=PROM --metricsPromExporterPort="$broker_metrics" >"$work/refused.log" 2>&1
rc=$?
check "a taken metrics port stops the broker naming it (rc $rc)" \
  "$([ "$rc" -ne 0 ] && grep -q "metrics exporter.*$broker_metrics" "$work/refused.log"; echo $?)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
