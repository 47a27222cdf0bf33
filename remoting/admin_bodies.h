// What admin tools read out of answers (reference 3.1, 3.5, 3.6): the
// queues of a route, the masters of a cluster, the MessageQueue-keyed
// tables of GET_TOPIC_STATS_INFO and GET_CONSUME_STATS, the runtime-info
// table, and the stored records of pull/query/view bodies.
//
// Pure: decoders return Errc::invalid_argument naming what is wrong, and
// every list comes out sorted (broker name, then queue id) so the output
// does not depend on the order of the JSON. Used by client/admin.h and rmq-admin.
// The encoders are the broker's side: each answer written as RocketMQ's
// broker writes it (fastjson's MessageQueue keys, its field order), so that
// each field name lives here once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_format.h"
#include "remoting/heartbeat.h"
#include "remoting/route_data.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// A broker group's master: its name and address (broker id 0).
struct Master {
  std::string broker_name;
  std::string addr;
};

// One queue of a topic on one broker group.
struct QueueRef {
  std::string broker_name;
  std::string addr;  // the master's
  int32_t queue_id = 0;
};

// The master of `b`, if it has one.
std::optional<std::string> master_addr(const remoting::BrokerData& b);
// The masters of the brokers in a route, by broker name.
std::vector<Master> route_masters(const remoting::TopicRouteData& route);
// The masters of `cluster`'s brokers; every cluster's when `cluster` is
// empty. By broker name.
std::vector<Master> cluster_masters(const remoting::ClusterInfo& info, std::string_view cluster);
// Queues a producer writes to (perm has WRITE, broker has a master), or a
// consumer reads from (READ). By broker name, then queue id.
std::vector<QueueRef> write_queues(const remoting::TopicRouteData& route);
std::vector<QueueRef> read_queues(const remoting::TopicRouteData& route);

struct MessageQueueKey {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  bool operator==(const MessageQueueKey&) const = default;
};

// fastjson's MessageQueue as a map key: {"brokerName":..,"queueId":..,"topic":..}.
std::string mq_key_json(const MessageQueueKey& mq);

struct TopicQueueStats {  // GET_TOPIC_STATS_INFO (202)
  MessageQueueKey mq;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_ms = 0;
  bool operator==(const TopicQueueStats&) const = default;
};
rt::Result<std::vector<TopicQueueStats>> decode_topic_stats(std::string_view json);
std::string encode_topic_stats(const std::vector<TopicQueueStats>& queues);  // in the given order

struct ConsumeQueueStats {  // GET_CONSUME_STATS (208)
  MessageQueueKey mq;
  int64_t broker_offset = 0;
  int64_t consumer_offset = 0;
  int64_t last_timestamp_ms = 0;
  bool operator==(const ConsumeQueueStats&) const = default;
};
struct ConsumeStats {
  std::vector<ConsumeQueueStats> queues;  // by topic, broker name, queue id
  double consume_tps = 0;
  bool operator==(const ConsumeStats&) const = default;
};
rt::Result<ConsumeStats> decode_consume_stats(std::string_view json);
std::string encode_consume_stats(const ConsumeStats& stats);

// GET_CONSUMER_CONNECTION_LIST (203) and GET_PRODUCER_CONNECTION_LIST
// (204): the clients of a group (by client id) and, for consumers, what
// they subscribe and how they consume.
struct ClientConnection {
  std::string client_id;
  std::string client_addr;
  std::string language;
  int32_t version = 0;  // MQVersion ordinal
  bool operator==(const ClientConnection&) const = default;
};
struct GroupConnections {
  std::vector<ClientConnection> connections;       // by client id
  std::map<std::string, std::string> subscriptions;  // topic -> subString (203 only)
  std::string consume_type, message_model, consume_from_where;  // 203 only
  bool operator==(const GroupConnections&) const = default;
};
rt::Result<GroupConnections> decode_group_connections(std::string_view json);
// 204: the connectionSet alone; 203: with how the group consumes and what
// each topic's subscription is (`subs`, by topic; `g.subscriptions` unused).
std::string encode_producer_connections(const std::vector<ClientConnection>& connections);
std::string encode_consumer_connections(const GroupConnections& g, const std::map<std::string, SubscriptionData>& subs);
// "V4_9_4" for the ordinals the reference names (1.7), else "ordinal N".
std::string version_desc(int32_t ordinal);

// VIEW_BROKER_STATS_DATA (315): sums and rates over the last minute, hour, day.
struct BrokerStatsData {
  int64_t minute_sum = 0, hour_sum = 0, day_sum = 0;
  double minute_tps = 0, hour_tps = 0, day_tps = 0;
  bool operator==(const BrokerStatsData&) const = default;
};
rt::Result<BrokerStatsData> decode_broker_stats(std::string_view json);
std::string encode_broker_stats(const BrokerStatsData& stats);
// QUERY_TOPIC_CONSUME_BY_WHO (300): {"groupList":[...]}, sorted.
rt::Result<std::vector<std::string>> decode_group_list(std::string_view json);
std::string encode_group_list(const std::vector<std::string>& groups);

// ResetOffsetBody (INVOKE_BROKER_TO_RESET_OFFSET's answer and
// RESET_CONSUMER_CLIENT_OFFSET's body): {"offsetTable":{<MessageQueue>:offset}},
// fastjson's object keys included. By topic, broker name, queue id.
rt::Result<std::vector<std::pair<MessageQueueKey, int64_t>>> decode_reset_offsets(std::string_view json);
std::string encode_reset_offsets(const std::vector<std::pair<MessageQueueKey, int64_t>>& offsets);  // in the given order

// {"table":{"k":"v",...}}: every value as text.
rt::Result<std::map<std::string, std::string>> decode_kv_table(std::string_view json);
std::string encode_kv_table(const std::vector<std::pair<std::string, std::string>>& table);  // in the given order

// A number of a runtime-info table (0 when absent or not a number), and the
// first of a rate's three space-separated values ("12.5 3.0 1.0": 10 s,
// 1 min, 10 min) with two decimals.
int64_t table_long(const std::map<std::string, std::string>& table, const std::string& key);
std::string table_rate(const std::map<std::string, std::string>& table, const std::string& key);

// The SendStatus of a send answer's code: SEND_OK, FLUSH_DISK_TIMEOUT,
// FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE; "" for a failed send.
std::string send_status_name(int32_t code);

// The records of a pull, query or view body, back to back.
rt::Result<std::vector<common::StoredMessage>> decode_records(std::span<const std::byte> body);

// The msgId users see: UNIQ_KEY if the message has one, else the offset msgId.
std::string message_id(const common::StoredMessage& m);
std::string stored_offset_msg_id(const common::StoredMessage& m);
// One property of the message ("" when absent).
std::string property(const common::StoredMessage& m, std::string_view key);

}  // namespace rmq::remoting
