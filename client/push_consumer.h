// Push consumer (RocketMQ's DefaultMQPushConsumer): long-polling pulls per
// owned queue, the listener called one message at a time per queue.
//
//   client::PushConsumer c(mq, {.group = "CG"});
//   c.subscribe("T", "TagA || TagB");
//   c.start([](const client::ReceivedMessage& m) { ...; return client::ConsumeResult::success; });
//
// Clustering: the group's members split the queues (allocate averagely over
// the sorted consumer ids and sorted queues) every `rebalance_interval` and
// when the broker says the group changed; `%RETRY%<group>` is subscribed
// too. Broadcasting: every member takes every queue; offsets stay in memory
// (and in `broadcast_offsets_path` when set). Offsets: the smallest offset
// not yet consumed per queue, committed every `persist_offset_interval`, when
// a rebalance takes the queue away, and at shutdown (clustering).
//
// Concurrent (the default): a message whose listener answers reconsume_later
// is sent back to the broker (CONSUMER_SEND_MSG_BACK, delay level 0 = the
// broker's schedule: 10 s, 30 s, 1 m, ... after each failure, then the DLQ
// after max_reconsume_times) and the queue moves on; if the broker does not
// take it, it is retried here after `local_retry_delay`, with its reconsume
// times counted up as RocketMQ's consumer does.
//
// Orderly (`orderly = true`, RocketMQ's MessageListenerOrderly): in
// clustering a member consumes a queue only while it holds the broker's lock
// on it (LOCK_BATCH_MQ when the rebalance gives it the queue, renewed every
// `lock_interval`; a lock not renewed for `lock_max_live` counts as lost and
// consumption of that queue pauses until it is locked again, from the
// group's committed offset). A failed message (suspend_current_queue) is
// retried in place after `suspend_current_queue`, with reconsume_times
// counting up, so nothing after it is consumed first; after
// `max_reconsume_times` it goes to the DLQ and the queue moves on. A queue
// the rebalance takes away is released only after its running listener
// returns and its offset is committed, so the next owner starts exactly after
// it. A queue whose lock another member still holds is retried every
// `lock_retry_interval` instead of waiting for the next rebalance.
//
// A rebalance or a shutdown never interrupts a running listener. A shutdown
// waits for it to return; a rebalance waits up to `listener_wait_max`, then
// goes on: the queue is let go (offset committed, lock released) once the
// listener returns, and until then this member renews its lock and does not
// start it again.
//
// Flow control: a queue's next pull waits until the listener has consumed
// what the last one brought, and a pull asks for at most
// min(`pull_batch`, `max_cached_messages`) messages and `max_cached_bytes`
// bytes (the broker always sends at least one message), so no queue ever
// holds more pulled-but-unconsumed messages or bytes than that.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "client/consumer_common.h"
#include "client/mq_client.h"
#include "client/offset_store.h"

namespace rmq::client {

// suspend_current_queue is orderly's name for reconsume_later.
enum class ConsumeResult { success, reconsume_later, suspend_current_queue = reconsume_later };

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
  int32_t pull_batch = 32;             // pullBatchSize
  size_t max_cached_messages = 1000;  // pullThresholdForQueue
  size_t max_cached_bytes = 100 << 20;  // pullThresholdSizeForQueue
  // -1: RocketMQ's default, 16 for concurrent and unbounded for orderly.
  int32_t max_reconsume_times = -1;
  rt::Duration local_retry_delay = 5s;
  bool orderly = false;
  rt::Duration suspend_current_queue = 1s;  // suspendCurrentQueueTimeMillis
  rt::Duration lock_interval = 20s;         // rocketmq.client.rebalance.lockInterval
  rt::Duration lock_max_live = 30s;         // rocketmq.client.rebalance.lockMaxLiveTime
  rt::Duration lock_retry_interval = 1s;
  // How long a rebalance waits for a running listener on a queue it takes
  // away (RocketMQ waits 1 s for an orderly queue's consume lock).
  rt::Duration listener_wait_max = 1s;
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
  // Orderly clustering: called when this member's hold on a queue's broker
  // lock changes (history recording, tests). `held` true: taken (first, or
  // again after it was lost or lapsed); false: lost (the broker gave it to
  // another), lapsed (not renewed within lock_max_live) or released (the
  // queue was let go, or the consumer shut down). `why` says which.
  using LockObserver = std::function<void(const MessageQueue& q, bool held, std::string_view why)>;
  void on_lock(LockObserver fn) { on_lock_ = std::move(fn); }
  const PushConsumerConfig& config() const { return cfg_; }

 private:
  struct QueueState;
  remoting::ConsumerData consumer_data() const;
  void rebalance_topic(const std::string& topic);
  bool start_queue(const MessageQueue& q, rt::Instant locked_at);  // orderly clustering: when the lock was asked
  void stop_queue(const MessageQueue& q);
  rt::Result<int64_t> start_offset(const MessageQueue& q, const std::string& addr);
  void pull_loop(std::shared_ptr<QueueState> qs);
  void consume(QueueState& qs, const ReceivedMessage& first);
  bool consume_orderly(QueueState& qs, ReceivedMessage m);
  bool send_back(const QueueState& qs, const ReceivedMessage& m, int32_t delay_level);
  ConsumeResult call_listener(QueueState& qs, const ReceivedMessage& m);
  bool locking() const;  // orderly clustering
  bool lock_valid(const QueueState& qs) const;
  std::string offset_address(const QueueState& qs) const;
  bool relock(QueueState& qs);
  void lock_loop();
  // Until the queue's listener returned (true) or `limit` passed.
  bool wait_idle(QueueState& qs, rt::Duration limit = rt::kForever);
  // Stops a retiring queue whose listener returned: its task, its offset,
  // its lock.
  void let_go(const std::shared_ptr<QueueState>& qs);
  void let_go_returned();
  // RESET_CONSUMER_CLIENT_OFFSET: each owned queue of `topic` in `offsets`
  // stops (its listener returning first), commits its new offset, and the
  // next rebalance starts it again from there (RocketMQ's resetOffset).
  void reset_offsets(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets);
  int32_t max_reconsume() const;
  void commit_offsets();
  void commit_offsets(const std::vector<std::shared_ptr<QueueState>>& list);
  void teardown();
  void rebalance_loop();
  void persist_loop();

  MqClient& client_;
  PushConsumerConfig cfg_;
  OffsetStore offsets_;  // remote (clustering) or local (broadcasting)
  std::map<std::string, std::string> subscriptions_{};  // topic -> expression
  Listener listener_;
  std::map<MessageQueue, std::shared_ptr<QueueState>> queues_;
  std::vector<std::shared_ptr<QueueState>> retiring_;  // taken out of queues_, not stopped yet
  bool lock_missed_ = false;  // the last rebalance could not lock a queue it was given
  rt::Event rebalance_now_;
  rt::Mutex rebalancing_;
  std::function<void(const std::vector<MessageQueue>&)> on_rebalance_;
  LockObserver on_lock_;
  // Sets qs.locked and tells on_lock_ of a change.
  void set_locked(QueueState& qs, bool locked, std::string_view why);
  std::vector<rt::Task> tasks_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace rmq::client
