#include "broker/metrics.h"

#include <fmt/format.h>

#include <cctype>

#include "broker/broker.h"
#include "common/message_const.h"
#include "common/numbers.h"

namespace rmq::broker {

namespace m = common::metrics;

namespace {

// RocketMQ's message size buckets: 1 KiB .. 4 MiB.
const std::vector<double> kMessageSizeBounds{1024, 4096, 512 * 1024, 1024 * 1024, 2 * 1024 * 1024, 4 * 1024 * 1024};

bool system_group(std::string_view group) {
  std::string lower(group.substr(0, 12));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "cid_rmq_sys_";
}

bool system_topic(std::string_view topic) {
  return topic == kAutoCreateTopicKey || topic == common::kScheduleTopic || topic == common::kTransHalfTopic ||
         topic == common::kTransOpHalfTopic || topic == common::kTransCheckMaxTimeTopic || topic == "SELF_TEST_TOPIC" ||
         topic == "OFFSET_MOVED_EVENT" || topic.starts_with("rmq_sys_");
}

}  // namespace

MessageType message_type_of(const common::MessageProperties& props) {
  auto tran = props.find(common::kPropTransactionPrepared);
  if (tran != props.end() && common::parse_java_bool(tran->second)) return MessageType::transaction;
  if (props.count(common::kPropShardingKey)) return MessageType::fifo;
  for (const char* k : {common::kPropDelay, common::kPropStartDeliverTime, common::kPropTimerDeliverMs, common::kPropTimerDelaySec,
                        common::kPropTimerDelayMs})
    if (props.count(k)) return MessageType::delay;
  return MessageType::normal;
}

std::string_view to_string(MessageType t) {
  switch (t) {
    case MessageType::normal: return "Normal";
    case MessageType::fifo: return "FIFO";
    case MessageType::delay: return "Delay";
    case MessageType::transaction: return "Transaction";
  }
  return "Normal";
}

BrokerMetrics::BrokerMetrics(const BrokerConfig& cfg)
    : registry_({{"cluster", cfg.cluster_name}, {"node_type", "broker"}, {"node_id", cfg.broker_name}}),
      requests_(registry_) {
  auto& r = registry_;
  r.declare("rocketmq_messages_in_total", m::Kind::counter, "Messages stored from producers.");
  r.declare("rocketmq_throughput_in_total", m::Kind::counter, "Body bytes stored from producers.");
  r.declare("rocketmq_message_size", m::Kind::histogram, "Sizes of the message bodies stored, in bytes.",
            kMessageSizeBounds);
  r.declare("rocketmq_messages_out_total", m::Kind::counter, "Messages handed out by pulls.");
  r.declare("rocketmq_throughput_out_total", m::Kind::counter, "Message bytes handed out by pulls.");
  r.declare("rocketmq_send_to_dlq_messages_total", m::Kind::counter, "Messages sent to a consumer group's DLQ.");
  r.declare("rocketmq_storage_dispatch_behind_bytes", m::Kind::gauge, "CommitLog bytes not yet in the consume queues.");
  r.declare("rocketmq_storage_flush_behind_bytes", m::Kind::gauge, "CommitLog bytes appended but not yet synced.");
  r.declare("rmq_store_commitlog_offset_bytes", m::Kind::gauge,
            "CommitLog positions: min (oldest kept), appended, written, synced, dispatched.");
  r.declare("rocketmq_consumer_lag_messages", m::Kind::gauge,
            "Messages of a topic its consumer group has not committed, over its queues.");
  r.declare("rmq_consumer_queue_lag_messages", m::Kind::gauge,
            "Messages of one queue its consumer group has not committed.");
  r.declare("rocketmq_producer_connections", m::Kind::gauge, "Producer channels (client and group) registered.");
  r.declare("rocketmq_consumer_connections", m::Kind::gauge, "Consumer channels (client and group) registered.");
  r.declare("rmq_remoting_connections", m::Kind::gauge, "Open remoting connections.");
  r.declare("rmq_long_polls_held", m::Kind::gauge, "Pulls held waiting for messages.");
  r.declare("rocketmq_topic_number", m::Kind::gauge, "Topics configured.");
  r.declare("rocketmq_consumer_group_number", m::Kind::gauge, "Subscription groups configured.");
  r.declare("rocketmq_broker_permission", m::Kind::gauge, "brokerPermission (4 read, 2 write, 6 both).");
  r.declare("rmq_delay_backlog_messages", m::Kind::gauge, "Delayed messages parked and not yet delivered, by level.");
  r.declare("rmq_replication_lag_bytes", m::Kind::gauge,
            "CommitLog bytes a slave has not acknowledged (on its master).");
}

void BrokerMetrics::on_put(std::string_view topic, MessageType type, int64_t messages, int64_t body_bytes) {
  auto it = in_.find(topic);
  if (it == in_.end()) it = in_.emplace(std::string(topic), std::array<In, 4>{}).first;
  In& h = it->second[static_cast<size_t>(type)];
  if (h.messages == nullptr) {
    const m::Labels labels{{"topic", std::string(topic)}, {"message_type", std::string(to_string(type))}};
    h.messages = &registry_.counter("rocketmq_messages_in_total", labels);
    h.bytes = &registry_.counter("rocketmq_throughput_in_total", labels);
    h.size = &registry_.histogram("rocketmq_message_size", labels);
  }
  h.messages->add(static_cast<double>(messages));
  h.bytes->add(static_cast<double>(body_bytes));
  if (messages > 0) h.size->observe(static_cast<double>(body_bytes / messages));  // a batch: its mean
}

void BrokerMetrics::on_pull(std::string_view topic, std::string_view group, int64_t messages, int64_t bytes) {
  auto t = out_.find(topic);
  if (t == out_.end()) t = out_.emplace(std::string(topic), std::map<std::string, Out, std::less<>>{}).first;
  auto g = t->second.find(group);
  if (g == t->second.end()) {
    const m::Labels labels{{"topic", std::string(topic)}, {"consumer_group", std::string(group)}};
    g = t->second.emplace(std::string(group), Out{&registry_.counter("rocketmq_messages_out_total", labels),
                                                  &registry_.counter("rocketmq_throughput_out_total", labels)})
            .first;
  }
  g->second.messages->add(static_cast<double>(messages));
  g->second.bytes->add(static_cast<double>(bytes));
}

void BrokerMetrics::on_dlq(std::string_view topic, std::string_view group) {
  registry_.counter("rocketmq_send_to_dlq_messages_total",
                    {{"topic", std::string(topic)}, {"consumer_group", std::string(group)}})
      .add(1);
}

// What a scrape reads of the broker as it stands.
void Broker::collect_metrics(m::Scrape& s) {
  if (!store_) return;  // not started
  const store::MessageStore& st = *store_;
  s.set("rocketmq_storage_dispatch_behind_bytes", {}, static_cast<double>(st.appended() - st.dispatched()));
  s.set("rocketmq_storage_flush_behind_bytes", {}, static_cast<double>(st.appended() - st.synced()));
  const std::pair<const char*, int64_t> positions[] = {{"min", st.commit_log_min_offset()},
                                                       {"appended", st.appended()},
                                                       {"written", st.written()},
                                                       {"synced", st.synced()},
                                                       {"dispatched", st.dispatched()}};
  for (const auto& [name, at] : positions)
    s.set("rmq_store_commitlog_offset_bytes", {{"position", name}}, static_cast<double>(at));

  for (const auto& [key, queues] : offsets_.table().offset_table) {
    const auto at = key.find('@');
    if (at == std::string::npos) continue;
    const std::string topic = key.substr(0, at), group = key.substr(at + 1);
    int64_t lag = 0;
    for (const auto& [queue_id, committed] : queues) {
      const int64_t behind = std::max<int64_t>(0, store_->max_offset(topic, queue_id) - committed);
      lag += behind;
      s.set("rmq_consumer_queue_lag_messages",
            {{"topic", topic}, {"consumer_group", group}, {"queue_id", std::to_string(queue_id)}},
            static_cast<double>(behind));
    }
    const bool retry = topic.starts_with("%RETRY%") || topic.starts_with("%DLQ%");
    s.set("rocketmq_consumer_lag_messages",
          {{"topic", topic},
           {"consumer_group", group},
           {"is_retry", retry ? "true" : "false"},
           {"is_system", system_topic(topic) || system_group(group) ? "true" : "false"}},
          static_cast<double>(lag));
  }

  size_t producers = 0, consumers = 0;
  for (const auto& [group, channels] : clients_.producers()) producers += channels.size();
  for (const auto& [group, info] : clients_.consumers()) consumers += info.channels.size();
  s.set("rocketmq_producer_connections", {}, static_cast<double>(producers));
  s.set("rocketmq_consumer_connections", {}, static_cast<double>(consumers));
  s.set("rmq_remoting_connections", {}, server_ ? static_cast<double>(server_->connections().size()) : 0.0);
  s.set("rmq_long_polls_held", {}, static_cast<double>(long_polls_.held()));
  s.set("rocketmq_topic_number", {}, static_cast<double>(topics_.table().topic_config_table.size()));
  s.set("rocketmq_consumer_group_number", {}, static_cast<double>(groups_.table().subscription_group_table.size()));
  s.set("rocketmq_broker_permission", {}, cfg_.broker_permission);

  if (schedule_)
    for (const auto& [level, parked] : schedule_->backlog())
      s.set("rmq_delay_backlog_messages", {{"delay_level", std::to_string(level)}}, static_cast<double>(parked));
  if (ha_master_)
    for (const auto& slave : ha_master_->slaves())
      s.set("rmq_replication_lag_bytes", {{"slave", slave.address}},
            static_cast<double>(std::max<int64_t>(0, st.appended() - std::max<int64_t>(slave.acked, 0))));
}

}  // namespace rmq::broker
