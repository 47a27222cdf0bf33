// Pull consumer (RocketMQ's DefaultLitePullConsumer): the application asks
// for messages instead of handing over a listener.
//
//   client::PullConsumer c(mq, {.group = "CG"});
//   c.subscribe("T");                  // or c.assign({...queues...})
//   c.start();
//   for (;;) {
//     auto batch = c.poll(5s);         // from any owned queue, in queue order
//     ...
//     c.commit();                      // or leave it to auto_commit
//   }
//
// subscribe(): the group's members split the topic's queues as push
// consumers do (allocate averagely, every `rebalance_interval` and when the
// broker says the group changed). assign(): exactly these queues, no
// rebalance. Either way a task per queue long-polls the broker into a cache
// of at most `max_cached_messages` messages per queue; poll() hands out one
// queue's cached batch at a time, rotating over the queues, and moves that
// queue's consumed position past it. A queue starts at the group's committed
// offset, or where `consume_from` says when there is none. seek() moves a
// queue's position (cached and in-flight messages from before are dropped).
// commit() stores the consumed positions at the brokers (UPDATE_CONSUMER_
// OFFSET); with `auto_commit` they are stored every `auto_commit_interval`,
// when a rebalance takes a queue away, and at shutdown.
//
// pull() is the single request underneath (RocketMQ's
// DefaultMQPullConsumer.pull): one PULL_MESSAGE at an explicit offset,
// without caching or positions.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/consumer_common.h"
#include "client/mq_client.h"
#include "client/offset_store.h"

namespace rmq::client {

struct PullConsumerConfig {
  std::string group = "DEFAULT_CONSUMER";
  ConsumeFrom consume_from = ConsumeFrom::last_offset;
  int64_t consume_timestamp_ms = 0;  // with ConsumeFrom::timestamp
  int32_t pull_batch = 10;           // pullBatchSize
  size_t max_cached_messages = 1000;  // per queue (pullThresholdForQueue)
  rt::Duration pull_suspend = 15s;   // how long the broker holds an empty pull
  rt::Duration pull_timeout = 30s;
  rt::Duration pull_backoff = 1s;    // after a failed pull
  rt::Duration rebalance_interval = 20s;
  bool auto_commit = true;
  rt::Duration auto_commit_interval = 5s;
};

class PullConsumer {
 public:
  PullConsumer(MqClient& client, PullConsumerConfig cfg);
  ~PullConsumer();  // shutdown()

  // Before start(); either subscriptions or an assignment, not both.
  // `expression`: "*" or "TagA || TagB".
  void subscribe(const std::string& topic, const std::string& expression = "*");
  void assign(std::vector<MessageQueue> queues, const std::string& expression = "*");
  void start();     // Suspends.
  void shutdown();  // Commits (auto_commit), unregisters. Suspends.

  // The readable queues of a topic, from its route. Suspends.
  rt::Result<std::vector<MessageQueue>> fetch_queues(const std::string& topic);
  // Queues this consumer reads now, sorted.
  std::vector<MessageQueue> assignment() const;

  // The next cached batch of some queue, waiting up to `timeout` for one;
  // empty when none came. Suspends.
  std::vector<ReceivedMessage> poll(rt::Duration timeout);
  // The next message poll() returns from `mq` is the one at `offset`.
  // Errc::invalid_argument when `mq` is not in the assignment or the offset
  // is outside [min, max] of the queue. Suspends.
  rt::Result<void> seek(const MessageQueue& mq, int64_t offset);
  rt::Result<void> seek_to_begin(const MessageQueue& mq);
  rt::Result<void> seek_to_end(const MessageQueue& mq);
  // Stores every consumed position that moved; the first error, if any.
  // Suspends.
  rt::Result<void> commit();
  // The group's committed offset of `mq` at its broker; -1 when none.
  rt::Result<int64_t> committed(const MessageQueue& mq);
  // The position poll() has reached on `mq` (the next offset it returns).
  std::optional<int64_t> position(const MessageQueue& mq) const;

  // One PULL_MESSAGE at `offset` (no suspension at the broker). Suspends.
  rt::Result<PullResult> pull(const MessageQueue& mq, const std::string& expression, int64_t offset, int32_t max_nums);

 private:
  struct QueueState;
  struct Batch {
    std::shared_ptr<QueueState> qs;
    uint64_t epoch = 0;
    std::vector<ReceivedMessage> messages;
    int64_t next_offset = 0;
  };
  remoting::ConsumerData consumer_data() const;
  void rebalance();
  void set_queues(const std::vector<MessageQueue>& wanted);
  bool start_queue(const MessageQueue& q);
  std::optional<std::string> read_address(const std::string& broker_name) const;
  void stop_queue(const MessageQueue& q);
  void spawn_pull(const std::shared_ptr<QueueState>& qs);
  void pull_loop(std::shared_ptr<QueueState> qs);
  size_t cached(const QueueState& qs) const;
  std::string expression_of(const std::string& topic) const;
  void rebalance_loop();
  void commit_loop();
  void teardown();

  MqClient& client_;
  PullConsumerConfig cfg_;
  OffsetStore offsets_;  // the group's, on the brokers
  std::map<std::string, std::string> subscriptions_{};  // topic -> expression
  std::vector<MessageQueue> assigned_{};
  std::string assigned_expression_ = "*";
  bool assign_mode_ = false;
  std::map<MessageQueue, std::shared_ptr<QueueState>> queues_;
  std::deque<Batch> ready_;
  rt::Event arrived_;
  rt::Event rebalance_now_;
  std::vector<rt::Task> tasks_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace rmq::client
