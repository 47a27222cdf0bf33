#!/usr/bin/env bash
# rmq-admin as an operator uses it, against a real rmq-namesrv and rmq-broker
# on 127.0.0.1: create a topic, send three messages, read them back by
# offset, id, key and pull, look at the cluster, the broker and a group's
# progress and its delay levels, delete the topic; then the failures: bad usage exits 2, an
# unreachable namesrv or broker exits 1 naming its address, a RocketMQ error
# answer exits 1 naming the response code.
#
#   tests/tools/admin_cli_test.sh BUILD_DIR
# shellcheck disable=SC2317  # functions run from the EXIT trap
set -u
if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
admin=$build/tools/rmq-admin
for bin in rmq-admin rmq-namesrv rmq-broker; do
  [ -x "$build/tools/$bin" ] || { echo "$build/tools/$bin is missing (build it first)" >&2; exit 2; }
done
unset NAMESRV_ADDR
work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-admin-cli.XXXXXX") || exit 2
ns_pid=""
broker_pid=""
. "$(dirname "$0")/../util/servers.sh"
trap cleanup EXIT
. "$(dirname "$0")/../util/ports.sh"
# run NAME ARGS...: rmq-admin ARGS with stdout in $out, stderr in $err, status in $rc.
run() {
  "$admin" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out"); err=$(cat "$work/err")
}
# retry ARGS...: run until it exits 0 (the broker registers and indexes asynchronously).
retry() {
  for _ in $(seq 1 50); do
    run "$@"
    [ "$rc" -eq 0 ] && return 0
    sleep 0.1
  done
  return 1
}

ns_port=$(free_port) || { echo "no free port" >&2; exit 1; }
taken=$ns_port
broker_port=$(free_port) || { echo "no free port" >&2; exit 1; }
ns=127.0.0.1:$ns_port
broker=127.0.0.1:$broker_port
"$build/tools/rmq-namesrv" --listenPort="$ns_port" --bindAddress=127.0.0.1 --kvConfigPath="$work/kv.json" \
  >"$work/namesrv.log" 2>&1 &
ns_pid=$!
wait_port "$ns_port" "$ns_pid" || { echo "rmq-namesrv did not start" >&2; cat "$work/namesrv.log"; exit 1; }
"$build/tools/rmq-broker" --namesrvAddr="$ns" --listenPort="$broker_port" --bindAddress=127.0.0.1 \
  --brokerIP1=127.0.0.1 --storePathRootDir="$work/store" >"$work/broker.log" 2>&1 &
broker_pid=$!
wait_port "$broker_port" "$broker_pid" || { echo "rmq-broker did not start" >&2; cat "$work/broker.log"; exit 1; }

# --- the cluster ---------------------------------------------------------------
for _ in $(seq 1 50); do run clusterList -n "$ns"; grep -q "$broker" <<<"$out" && break; sleep 0.1; done
check "clusterList lists the broker (rc $rc: $out $err)" "$([ "$rc" -eq 0 ] && grep -q "DefaultCluster *broker-a *0 *$broker *V4_9_8" <<<"$out"; echo $?)"

run updateTopic -n "$ns" -c DefaultCluster -t AdminT -r 4 -w 4
check "updateTopic -c creates the topic (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "create topic to $broker success" <<<"$out"; echo $?)"
retry topicRoute -n "$ns" -t AdminT
check "topicRoute shows the new topic (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q '"writeQueueNums": 4' <<<"$out" && grep -q "\"0\": \"$broker\"" <<<"$out"; echo $?)"
run topicList -n "$ns"
check "topicList contains the topic" "$([ "$rc" -eq 0 ] && grep -qx AdminT <<<"$out"; echo $?)"

# --- messages --------------------------------------------------------------------
offset_ids=(); client_ids=()
for i in 1 2 3; do
  run sendMessage -n "$ns" -t AdminT -p "body-$i" -k "key-$i" -c TagA
  check "sendMessage $i (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "Send Status: *SEND_OK" <<<"$out"; echo $?)"
  offset_ids+=("$(awk '/^OffsetMsgId:/ {print $2}' <<<"$out")")
  client_ids+=("$(awk '/^MsgId:/ {print $2}' <<<"$out")")
done
run sendMessage -n "$ns" -t AdminT -p x -i 9
check "sendMessage to a queue the topic lacks exits 1 (rc $rc)" "$([ "$rc" -eq 1 ]; echo $?)"

run sendMessage -n "$ns" -t AdminAuto -p auto-body
check "sendMessage to a new topic goes through TBW102 (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "Send Status: *SEND_OK" <<<"$out" && grep -q "through TBW102" <<<"$err"; echo $?)"
retry topicRoute -n "$ns" -t AdminAuto
check "the broker auto-created it (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q '"writeQueueNums": 4' <<<"$out"; echo $?)"

run topicStatus -n "$ns" -t AdminT
total=$(awk 'NR > 1 {s += $4} END {print s + 0}' <<<"$out")
check "topicStatus: 4 queues whose max offsets sum to 3 (got $total, rc $rc)" \
  "$([ "$rc" -eq 0 ] && [ "$total" -eq 3 ] && [ "$(grep -c '^broker-a' <<<"$out")" -eq 4 ]; echo $?)"

run queryMsgById -n "$ns" -i "${offset_ids[1]}"
check "queryMsgById shows the body (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "Message Body: *body-2" <<<"$out" && grep -q "Keys: *\[key-2\]" <<<"$out"; echo $?)"
run queryMsgById -n "$ns" -i "${client_ids[2]}" -t AdminT
check "queryMsgById -t finds a client msgId (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "Message Body: *body-3" <<<"$out"; echo $?)"
run queryMsgById -n "$ns" -i not-an-id
check "queryMsgById of a malformed id exits 2 (rc $rc)" "$([ "$rc" -eq 2 ]; echo $?)"

retry queryMsgByKey -n "$ns" -t AdminT -k key-2
check "queryMsgByKey finds the key (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "${offset_ids[1]}" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 2 ]; echo $?)"
run queryMsgByKey -n "$ns" -t AdminT -k no-such-key
check "queryMsgByKey of a missing key exits 1 (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "QUERY_NOT_FOUND" <<<"$err"; echo $?)"

run consumeMessage -n "$ns" -t AdminT -g admin-test-group
check "consumeMessage prints the 3 bodies (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "body-1" <<<"$out" && grep -q "body-2" <<<"$out" && grep -q "body-3" <<<"$out" && grep -q "^3 message(s)" <<<"$out"; echo $?)"
run consumeMessage -n "$ns" -t AdminT -c 2
check "consumeMessage -c 2 stops at 2" "$([ "$rc" -eq 0 ] && grep -q "^2 message(s)" <<<"$out"; echo $?)"

sleep 1.1  # rates count whole seconds: the one under way is left out
run brokerStatus -n "$ns" -b "$broker"
check "brokerStatus prints msgPutTotalTodayNow, 4 puts (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -Eq "^msgPutTotalTodayNow +: 4$" <<<"$out"; echo $?)"
# Rates over 10 s, 1 min and 10 min: the 4 puts fall in the last 10 minutes.
check "brokerStatus prints a put rate over 10 minutes (rc $rc: $out)" "$([ "$rc" -eq 0 ] && grep -Eq "^putTps +: [0-9.]+ [0-9.]+ 0\.00[1-9][0-9]*$" <<<"$out" && grep -Eq "^msgPutTotalTodayMorning +: 0$" <<<"$out"; echo $?)"

run sendMessage -n "$ns" -t AdminT -p "in two hours" -d 18
check "sendMessage -d 18 parks the message (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "^Send Status: *SEND_OK" <<<"$out"; echo $?)"
sleep 0.2
run delayStatus -b "$broker"
check "delayStatus shows level 18 (2h) with one message parked, none delivered (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -Eq "^18 +2h +0 +1 +1 +20" <<<"$out" && grep -Eq "^1 +1s +0 +0 +0 +-" <<<"$out" && grep -q "^Transactions: 0 half message" <<<"$out"; echo $?)"
run delayStatus -n "$ns" -c DefaultCluster
check "delayStatus -c covers the cluster's masters (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "(broker-a)" <<<"$out"; echo $?)"
expect_usage_now() { run "$@"; check "'rmq-admin $*' exits 2 (got $rc)" "$([ "$rc" -eq 2 ]; echo $?)"; }
expect_usage_now delayStatus -n "$ns"
expect_usage_now sendMessage -n "$ns" -t AdminT -p x -d 0

run consumerProgress -n "$ns" -g admin-test-group -t AdminT
check "consumerProgress lists the topic's queues (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && [ "$(grep -c '^AdminT *broker-a' <<<"$out")" -eq 4 ] && grep -q "Diff Total: 3" <<<"$out"; echo $?)"

# --- more of mqadmin's daily commands -------------------------------------------------
# A body over 4 KiB is sent compressed (as RocketMQ's clients do) and prints decoded.
big=$(printf 'compressible-%.0s' $(seq 1 500))
run sendMessage -n "$ns" -t AdminT -p "$big" -b broker-a -i 2
check "sendMessage of a 6.5 KiB body (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "^Queue: *2$" <<<"$out"; echo $?)"
big_id=$(awk '/^OffsetMsgId:/ {print $2}' <<<"$out")
big_offset=$(awk '/^Queue Offset:/ {print $3}' <<<"$out")
run queryMsgById -n "$ns" -i "$big_id"
check "queryMsgById prints a compressed body decoded (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "^System Flag: *1$" <<<"$out" && grep -q "Message Body: *$big" <<<"$out"; echo $?)"
run queryMsgByOffset -n "$ns" -t AdminT -b broker-a -i 2 -o "$big_offset"
check "queryMsgByOffset finds it by queue and offset (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "^OffsetID: *$big_id" <<<"$out" && grep -q "Message Body: *$big" <<<"$out"; echo $?)"
run queryMsgByOffset -n "$ns" -t AdminT -b broker-a -i 2 -o 99
check "queryMsgByOffset past the end exits 1 (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "no message at offset 99" <<<"$err"; echo $?)"
retry queryMsgByUniqueKey -n "$ns" -t AdminT -i "${client_ids[0]}"
check "queryMsgByUniqueKey finds a client msgId (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "Message Body: *body-1" <<<"$out"; echo $?)"
run queryMsgByUniqueKey -n "$ns" -t AdminT -i 00000000000000000000000000000000
check "queryMsgByUniqueKey of an unknown id exits 1 (rc $rc)" "$([ "$rc" -eq 1 ]; echo $?)"
run printMsg -n "$ns" -t AdminT -s TagA
check "printMsg prints the tagged messages of every queue (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && [ "$(grep -c '^MSGID: ' <<<"$out")" -eq 3 ] && [ "$(grep -c '^minOffset=' <<<"$out")" -eq 4 ] && grep -q "BODY: body-2" <<<"$out"; echo $?)"
run printMsg -n "$ns" -t AdminT -d false -b "$(date -u -d '+1 hour' +%Y-%m-%d#%H:%M:%S:000)"
check "printMsg -b after the last store time prints none (rc $rc: $err)" "$([ "$rc" -eq 0 ] && ! grep -q '^MSGID: ' <<<"$out"; echo $?)"
expect_usage_now printMsg -n "$ns" -t AdminT -b yesterday
run topicClusterList -n "$ns" -t AdminT
check "topicClusterList names the cluster (rc $rc: $err)" "$([ "$rc" -eq 0 ] && [ "$out" = DefaultCluster ]; echo $?)"
run sendMsgStatus -n "$ns" -b broker-a -c 3 -s 64
check "sendMsgStatus times 3 sends to the broker's own topic (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && [ "$(grep -c '^rt=[0-9]*ms, SendResult=SendResult \[sendStatus=SEND_OK.*topic=broker-a' <<<"$out")" -eq 3 ]; echo $?)"

# Groups: a subscription group made and removed; the connections of live clients.
run updateSubGroup -n "$ns" -c DefaultCluster -g AdminSG -r 3 -q 2
check "updateSubGroup (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "create subscription group to $broker success" <<<"$out" && grep -q "retryQueueNums=2, retryMaxTimes=3" <<<"$out"; echo $?)"
expect_usage_now updateSubGroup -n "$ns" -g AdminSG
# The topic first: a consumer heart-beats the brokers of its topics' routes.
run updateTopic -n "$ns" -c DefaultCluster -t AdminBench -r 1 -w 1
check "updateTopic AdminBench (rc $rc: $err)" "$([ "$rc" -eq 0 ]; echo $?)"
"$build/tools/rmq-bench" consumer -n "$ns" -t AdminBench -g AdminCG -d 14 >"$work/bench-consumer.out" 2>&1 &
bench_consumer=$!
"$build/tools/rmq-bench" producer -n "$ns" -t AdminBench -g AdminPG -d 10 -w 1 -s 16 >"$work/bench-producer.out" 2>&1 &
bench_producer=$!
retry consumerConnection -n "$ns" -g AdminCG
check "consumerConnection lists the live consumer and its subscription (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "^#ClientId" <<<"$out" && grep -q "^AdminBench *\*" <<<"$out" && grep -q "^MessageModel: CLUSTERING" <<<"$out"; echo $?)"
retry producerConnection -n "$ns" -g AdminPG -t AdminBench
check "producerConnection lists the live producer (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "^0001  " <<<"$out"; echo $?)"
run producerConnection -n "$ns" -g NoSuchPG -t AdminBench
check "producerConnection of an unknown group exits 1 (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "not exist" <<<"$err"; echo $?)"
# Online: the broker tells the member, which commits (retried until the
# member has committed offsets on every queue to reset).
retry resetOffsetByTime -n "$ns" -g AdminCG -t AdminBench -s now
check "resetOffsetByTime of a group with a consumer online goes through the broker (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "rollback consumer offset by specified group\[AdminCG\]" <<<"$out" && grep -Eq "^broker-a +0 +[0-9]+$" <<<"$out"; echo $?)"
wait "$bench_consumer" "$bench_producer"
run statsAll -n "$ns" -t AdminBench
check "statsAll shows the topic's group with messages in and out today (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -Eq "^AdminBench +AdminCG +[0-9]+ +[0-9.]+ +[0-9.]+ +[1-9][0-9]* +[1-9][0-9]*$" <<<"$out"; echo $?)"
run statsAll -n "$ns"
check "statsAll lists a topic without traffic or consumer (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -Eq "^TBW102 +0 +0.00 +0 +NO_CONSUMER$" <<<"$out"; echo $?)"
run statsAll -n "$ns" -a
check "statsAll -a leaves it out (rc $rc: $err)" "$([ "$rc" -eq 0 ] && ! grep -q "^TBW102" <<<"$out" && grep -q "^AdminBench" <<<"$out"; echo $?)"
run deleteSubGroup -n "$ns" -c DefaultCluster -g AdminSG -r true
check "deleteSubGroup -c removes the group and its retry and DLQ topics (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "delete subscription group \[AdminSG\] from broker \[$broker\] in cluster" <<<"$out" && grep -q "delete topic \[%DLQ%AdminSG\] from NameServer success" <<<"$out"; echo $?)"

# Broker settings: read them, change a live one, refuse the others.
run getBrokerConfig -n "$ns" -b "$broker"
check "getBrokerConfig prints the settings (rc $rc: $err)" \
  "$([ "$rc" -eq 0 ] && grep -q "^============$broker============" <<<"$out" && grep -Eq "^brokerName +=  broker-a$" <<<"$out" && grep -Eq "^brokerPermission +=  6$" <<<"$out"; echo $?)"
run getBrokerConfig -n "$ns" -c DefaultCluster
check "getBrokerConfig -c goes over the cluster's brokers (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "^============Master: $broker" <<<"$out"; echo $?)"
run updateBrokerConfig -n "$ns" -b "$broker" -k brokerPermission -v 4
check "updateBrokerConfig brokerPermission=4 (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "update broker config success, $broker" <<<"$out"; echo $?)"
run sendMessage -n "$ns" -t AdminT -p refused -b broker-a -i 0
# Refused by the broker (NO_PERMISSION), or already left out of the route it re-registered.
check "a read-only broker takes no sends (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -Eq "NO_PERMISSION|no writable queue" <<<"$err"; echo $?)"
for _ in $(seq 1 50); do run topicRoute -n "$ns" -t AdminT; grep -q '"perm": 4' <<<"$out" && break; sleep 0.1; done
check "the namesrv's route shows the topic read-only (rc $rc)" "$([ "$rc" -eq 0 ] && grep -q '"perm": 4' <<<"$out"; echo $?)"
run updateBrokerConfig -n "$ns" -c DefaultCluster -k brokerPermission -v 6
check "updateBrokerConfig -c brokerPermission=6 (rc $rc: $err)" "$([ "$rc" -eq 0 ]; echo $?)"
run getBrokerConfig -n "$ns" -b "$broker"
check "getBrokerConfig shows the change (rc $rc)" "$([ "$rc" -eq 0 ] && grep -Eq "^brokerPermission +=  6$" <<<"$out"; echo $?)"
run updateBrokerConfig -n "$ns" -b "$broker" -k listenPort -v 1234
check "a setting that needs a restart is refused (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "listenPort takes effect only at start" <<<"$err"; echo $?)"
run updateBrokerConfig -n "$ns" -b "$broker" -k noSuchKey -v 1
check "an unknown key is refused by name (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "unknown config key noSuchKey" <<<"$err"; echo $?)"
run updateBrokerConfig -n "$ns" -b "$broker" -k brokerPermission -v 9
check "a bad value is refused naming its key (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "brokerPermission" <<<"$err"; echo $?)"
run updateBrokerConfig -n "$ns" -b "$broker" -k brokerConfigPath -v /etc/x
check "the black list answers NO_PERMISSION (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "NO_PERMISSION" <<<"$err"; echo $?)"
# Maintenance: the namesrvs take the broker's writes away and give them back.
run wipeWritePerm -n "$ns" -b broker-a
check "wipeWritePerm (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -Eq "^wipe write perm of broker\[broker-a\] in name server\[$ns\] OK, [1-9]" <<<"$out"; echo $?)"
run topicRoute -n "$ns" -t AdminT
check "after wipeWritePerm the route is read-only (rc $rc)" "$([ "$rc" -eq 0 ] && grep -q '"perm": 4' <<<"$out"; echo $?)"
run addWritePerm -n "$ns" -b broker-a
check "addWritePerm (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -Eq "^add write perm of broker\[broker-a\] in name server\[$ns\] OK, [1-9]" <<<"$out"; echo $?)"
run topicRoute -n "$ns" -t AdminT
check "after addWritePerm the route is writable again (rc $rc)" "$([ "$rc" -eq 0 ] && grep -q '"perm": 6' <<<"$out"; echo $?)"
run wipeWritePerm -n "$ns;127.0.0.1:$(free_port)" -b broker-a
check "wipeWritePerm reports each namesrv and exits 1 when one failed (rc $rc: $err)" \
  "$([ "$rc" -eq 1 ] && grep -q "in name server\[$ns\] OK" <<<"$out" && grep -q "Failed" <<<"$out"; echo $?)"
run addWritePerm -n "$ns" -b broker-a

# Offsets of a stopped group: to the end (now), then back to the start.
run resetOffsetByTime -n "$ns" -g AdminResetG -t AdminT -s now
check "resetOffsetByTime -s now (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "^#brokerName" <<<"$out" && [ "$(grep -c '^broker-a' <<<"$out")" -eq 4 ]; echo $?)"
run consumerProgress -n "$ns" -g AdminResetG -t AdminT
check "after the reset to now nothing is left to consume (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "Diff Total: 0" <<<"$out"; echo $?)"
run resetOffsetByTime -n "$ns" -g AdminResetG -t AdminT -s 0
check "resetOffsetByTime -s 0 (rc $rc: $err)" "$([ "$rc" -eq 0 ]; echo $?)"
run consumerProgress -n "$ns" -g AdminResetG -t AdminT
check "after the reset to 0 every message is to consume again (rc $rc: $out)" "$([ "$rc" -eq 0 ] && grep -q "Diff Total: 4" <<<"$out"; echo $?)"
expect_usage_now resetOffsetByTime -n "$ns" -g AdminResetG -t AdminT -s tomorrow

# --- deletion ----------------------------------------------------------------------
run deleteTopic -n "$ns" -c DefaultCluster -t AdminT
check "deleteTopic (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -q "from NameServer success" <<<"$out"; echo $?)"
run topicRoute -n "$ns" -t AdminT
check "topicRoute of the deleted topic exits 1 with TOPIC_NOT_EXIST (rc $rc: $err)" \
  "$([ "$rc" -eq 1 ] && grep -q "TOPIC_NOT_EXIST (17)" <<<"$err" && grep -q "$ns" <<<"$err"; echo $?)"
run topicList -n "$ns"
check "topicList no longer has it" "$([ "$rc" -eq 0 ] && ! grep -qx AdminT <<<"$out"; echo $?)"

# --- usage and unreachable servers ----------------------------------------------------
run help
check "help lists every subcommand" "$([ "$rc" -eq 0 ] && [ "$(grep -cE '^  (updateTopic|deleteTopic|topicList|topicRoute|topicStatus|topicClusterList|statsAll|clusterList|brokerStatus|delayStatus|wipeWritePerm|addWritePerm|getBrokerConfig|updateBrokerConfig|consumerProgress|consumerConnection|producerConnection|updateSubGroup|deleteSubGroup|resetOffsetByTime|queryMsgById|queryMsgByKey|queryMsgByUniqueKey|queryMsgByOffset|printMsg|sendMessage|sendMsgStatus|consumeMessage) ' <<<"$out")" -eq 28 ]; echo $?)"
expect_usage() {  # args...
  run "$@"
  check "'rmq-admin $*' exits 2 with usage on stderr (got $rc)" "$([ "$rc" -eq 2 ] && grep -q "usage:" <<<"$err" && [ -z "$out" ]; echo $?)"
}
expect_usage
expect_usage noSuchCommand -n "$ns"
expect_usage topicRoute -n "$ns"
expect_usage topicRoute -t AdminT
expect_usage topicRoute -n "$ns" -t AdminT -x 1
expect_usage updateTopic -n "$ns" -t T
expect_usage updateTopic -n "$ns" -c DefaultCluster -t T -p 9
expect_usage sendMessage -n "$ns" -t T -p x -i abc
expect_usage topicList -n localhost-9876

dead=$(free_port)
run topicList -n "127.0.0.1:$dead"
check "an unreachable namesrv exits 1 naming it (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "127.0.0.1:$dead" <<<"$err"; echo $?)"
run topicList -n "127.0.0.1:$dead;$ns"
check "the next namesrv is tried when one is down (rc $rc: $err)" "$([ "$rc" -eq 0 ] && grep -qx TBW102 <<<"$out"; echo $?)"
run brokerStatus -b "127.0.0.1:$dead"
check "an unreachable broker exits 1 naming it (rc $rc: $err)" "$([ "$rc" -eq 1 ] && grep -q "broker 127.0.0.1:$dead" <<<"$err"; echo $?)"
NAMESRV_ADDR=$ns "$admin" topicList >"$work/out" 2>&1; rc=$?
check "NAMESRV_ADDR stands in for -n (rc $rc)" "$([ "$rc" -eq 0 ] && grep -qx TBW102 "$work/out"; echo $?)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
