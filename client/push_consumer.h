// Push consumer (RocketMQ's DefaultMQPushConsumer): long-polling pulls per
// owned queue, the listener called one message at a time.
//
//   client::PushConsumer c(mq, {.group = "CG"});
//   c.subscribe("T", "TagA || TagB");
//   c.start([](const client::ReceivedMessage& m) { ...; return client::ConsumeResult::success; });
//
// Clustering: the group's members split the queues (allocate averagely over
// the sorted consumer ids and sorted queues) every `rebalance_interval` and
// when the broker says the group changed; `%RETRY%<group>` is subscribed
// too. Broadcasting: every member takes every queue; offsets stay in memory
// (and in `broadcast_offsets_path` when set). A message whose listener
// answers reconsume_later (or throws nothing but fails) is sent back to the
// broker (CONSUMER_SEND_MSG_BACK, delay level 0 = the broker's choice); if
// that fails it is retried locally after `local_retry_delay`. Offsets: the
// smallest offset not yet consumed per queue, committed every
// `persist_offset_interval` and at shutdown (clustering).
//
// Flow control: a queue with more than `max_cached_messages` consumed-but-
// not-yet-processed messages, or more bytes than `max_cached_bytes`, pauses
// its pulls. Orderly consumption is not here yet.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/mq_client.h"
#include "common/message_format.h"

namespace rmq::client {

enum class ConsumeResult { success, reconsume_later };
enum class ConsumeFrom { last_offset, first_offset, timestamp };

struct ReceivedMessage {
  MessageQueue queue{};
  int64_t queue_offset = 0;
  std::string topic{};  // the original topic (RETRY_TOPIC for redeliveries)
  std::string tags{};
  std::string keys{};
  std::string msg_id{};         // UNIQ_KEY, else the offset msgId
  std::string offset_msg_id{};
  std::string body{};           // decompressed
  int32_t reconsume_times = 0;
  int64_t commit_log_offset = 0;
  int64_t store_timestamp = 0;
  common::MessageProperties properties{};
};

using Listener = std::function<ConsumeResult(const ReceivedMessage&)>;

struct PushConsumerConfig {
  std::string group = "DEFAULT_CONSUMER";
  remoting::MessageModel model = remoting::MessageModel::clustering;
  ConsumeFrom consume_from = ConsumeFrom::last_offset;
  int64_t consume_timestamp_ms = 0;  // with ConsumeFrom::timestamp
  rt::Duration rebalance_interval = 20s;
  rt::Duration persist_offset_interval = 5s;
  rt::Duration pull_suspend = 15s;
  rt::Duration pull_timeout = 30s;
  rt::Duration pull_backoff = 3s;  // after a failed pull
  int32_t pull_batch = 32;
  size_t max_cached_messages = 1000;  // pullThresholdForQueue
  size_t max_cached_bytes = 100 << 20;
  int32_t max_reconsume_times = 16;
  rt::Duration local_retry_delay = 5s;
  std::string broadcast_offsets_path{};  // broadcasting: offsets file (runtime fs); empty: memory only
};

class PushConsumer {
 public:
  PushConsumer(MqClient& client, PushConsumerConfig cfg);
  ~PushConsumer();  // shutdown()

  // Before start(). `expression`: "*" or "TagA || TagB".
  void subscribe(const std::string& topic, const std::string& expression = "*");
  // Registers with the client, rebalances and starts pulling. Suspends.
  void start(Listener listener);
  // Stops pulling, commits offsets (clustering), unregisters. Suspends.
  void shutdown();

  // Queues this member owns now, sorted.
  std::vector<MessageQueue> owned_queues() const;
  // Rebalances now. Suspends.
  void rebalance();
  // Called after a rebalance that changed what this member owns, with every
  // queue it owns from then on (history recording, tests).
  void on_rebalance(std::function<void(const std::vector<MessageQueue>&)> fn) { on_rebalance_ = std::move(fn); }
  const PushConsumerConfig& config() const { return cfg_; }

 private:
  struct QueueState;
  remoting::ConsumerData consumer_data() const;
  void rebalance_topic(const std::string& topic);
  void start_queue(const MessageQueue& q);
  void stop_queue(const MessageQueue& q);
  rt::Result<int64_t> start_offset(const MessageQueue& q, const std::string& addr);
  void pull_loop(std::shared_ptr<QueueState> qs);
  void consume(QueueState& qs, const ReceivedMessage& m);
  void commit_offsets();
  void load_broadcast_offsets();
  void save_broadcast_offsets();
  void rebalance_loop();
  void persist_loop();

  MqClient& client_;
  PushConsumerConfig cfg_;
  std::map<std::string, std::string> subscriptions_{};  // topic -> expression
  Listener listener_;
  std::map<MessageQueue, std::shared_ptr<QueueState>> queues_;
  std::map<MessageQueue, int64_t> broadcast_offsets_;
  rt::Event rebalance_now_;
  std::function<void(const std::vector<MessageQueue>&)> on_rebalance_;
  std::vector<rt::Task> tasks_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace rmq::client
