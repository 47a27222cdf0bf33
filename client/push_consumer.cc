#include "client/push_consumer.h"

#include <fmt/format.h>

#include <algorithm>

#include "client/rebalance.h"
#include "common/canary/client_orderly_unlocked.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_consumer.h"
#include "remoting/headers_pull.h"

namespace rmq::client {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;


struct PushConsumer::QueueState {
  explicit QueueState(rt::Runtime& rt) : idle(rt) {}
  MessageQueue mq;
  std::string addr;  // where it started; orderly: its master, which holds the lock
  int64_t pull_from = 0;  // the broker id the last pull suggested
  int64_t next_pull = 0;
  int64_t consumed = 0;   // next offset to commit
  int64_t committed = -1;
  std::string committed_at;  // the broker that has `committed`
  bool dropped = false;
  bool locked = false;    // orderly clustering: the broker's lock is ours
  rt::Instant locked_at{};
  bool consuming = false; // the listener is running
  rt::Event idle;         // set when the listener returns
  // Orderly: the attempts made on the message at `retrying_offset` before
  // its lock lapsed; it is pulled again, and its count goes on (RocketMQ
  // keeps the message, with its count, in the process queue).
  int64_t retrying_offset = -1;
  std::string retrying_msg_id;  // and which message it was
  int32_t retried = 0;
  int64_t reset_to = -1;  // an operator's reset: the offset let_go commits instead of `consumed`
  rt::Task task;
};

PushConsumer::PushConsumer(MqClient& client, PushConsumerConfig cfg)
    : client_(client),
      cfg_(std::move(cfg)),
      offsets_(cfg_.model == remoting::MessageModel::broadcasting
                   ? OffsetStore::local(client, cfg_.group, cfg_.broadcast_offsets_path)
                   : OffsetStore::remote(client, cfg_.group)),
      rebalance_now_(client.runtime()),
      rebalancing_(client.runtime()) {}

bool PushConsumer::locking() const { return cfg_.orderly && cfg_.model == remoting::MessageModel::clustering; }

int32_t PushConsumer::max_reconsume() const {
  if (cfg_.max_reconsume_times >= 0) return cfg_.max_reconsume_times;
  return cfg_.orderly ? INT32_MAX : 16;
}

PushConsumer::~PushConsumer() { shutdown(); }

void PushConsumer::subscribe(const std::string& topic, const std::string& expression) {
  subscriptions_[topic] = expression;
}

remoting::ConsumerData PushConsumer::consumer_data() const {
  remoting::ConsumerData d;
  d.group_name = cfg_.group;
  d.consume_type = remoting::ConsumeType::passively;
  d.message_model = cfg_.model;
  d.consume_from_where = consume_from_where(cfg_.consume_from);
  for (const auto& [topic, expr] : subscriptions_) d.subscriptions.push_back(subscription_data(topic, expr));
  return d;
}

void PushConsumer::start(Listener listener) {
  if (started_) return;
  started_ = true;
  listener_ = std::move(listener);
  if (cfg_.model == remoting::MessageModel::clustering) subscriptions_[remoting::retry_topic(cfg_.group)] = "*";
  offsets_.load();
  client_.add_consumer(
      cfg_.group, [this] { return consumer_data(); }, [this] { rebalance_now_.set(); },
      [this](const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) { reset_offsets(topic, offsets); });
  for (const auto& [topic, _] : subscriptions_) (void)client_.route(topic);
  client_.heartbeat_all();
  tasks_.push_back(client_.runtime().spawn("consumer-rebalance", [this] { rebalance_loop(); }));
  tasks_.push_back(client_.runtime().spawn("consumer-offsets", [this] { persist_loop(); }));
  if (locking()) tasks_.push_back(client_.runtime().spawn("consumer-locks", [this] { lock_loop(); }));
}

void PushConsumer::shutdown() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  // If this task is cancelled in one of the waits below, teardown() still
  // stops every task before the object can go away.
  struct Teardown {
    PushConsumer& c;
    ~Teardown() { c.teardown(); }
  } teardown_at_exit{*this};
  client_.remove_consumer(cfg_.group);  // no more heartbeats or notifications for it
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  // No rebalance runs any more; one it interrupted may have left queues in
  // retiring_.
  std::vector<std::shared_ptr<QueueState>> all = retiring_;
  for (auto& [q, qs] : queues_) all.push_back(qs);
  for (auto& qs : all) qs->dropped = true;
  for (auto& qs : all) wait_idle(*qs);
  for (auto& qs : all) qs->task.cancel();
  for (auto& qs : all) qs->task.cancel_and_join();
  for (auto& qs : all) qs->dropped = false;  // stopped; their offsets are committed below
  commit_offsets(all);
  if (locking()) {
    std::map<std::string, std::vector<MessageQueue>> held;
    for (auto& qs : all) held[qs->addr].push_back(qs->mq);
    for (const auto& [addr, mqs] : held) (void)unlock_queues(client_, addr, cfg_.group, mqs);
    for (auto& qs : all) set_locked(*qs, false, "released");
  }
  if (cfg_.model == remoting::MessageModel::clustering) unregister_consumer(client_, cfg_.group);
}

// Idempotent; suspends only to join tasks (which works while unwinding).
void PushConsumer::teardown() {
  client_.remove_consumer(cfg_.group);
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  std::vector<std::shared_ptr<QueueState>> all = retiring_;
  for (auto& [q, qs] : queues_) all.push_back(qs);
  for (auto& qs : all) {
    qs->dropped = true;
    if (qs->task.valid()) qs->task.cancel();
  }
  for (auto& qs : all)
    if (qs->task.valid()) qs->task.cancel_and_join();
  queues_.clear();
  retiring_.clear();
}

std::vector<MessageQueue> PushConsumer::owned_queues() const {
  std::vector<MessageQueue> out;
  for (const auto& [q, _] : queues_) out.push_back(q);
  return out;
}

void PushConsumer::rebalance_loop() {
  for (;;) {
    rebalance();
    (void)rebalance_now_.wait(lock_missed_ ? cfg_.lock_retry_interval : cfg_.rebalance_interval);
    rebalance_now_.reset();
  }
}

void PushConsumer::persist_loop() {
  for (;;) {
    client_.runtime().sleep_for(cfg_.persist_offset_interval);
    commit_offsets();
  }
}

void PushConsumer::rebalance() {
  // One at a time: a second one would see a queue the first is still
  // handing over as not owned, and start it again.
  rt::LockGuard one_at_a_time(rebalancing_);
  if (stopped_) return;
  lock_missed_ = false;
  let_go_returned();  // queues whose listener outlasted an earlier rebalance
  for (const auto& [topic, _] : subscriptions_) rebalance_topic(topic);
}

void PushConsumer::rebalance_topic(const std::string& topic) {
  const auto mine = queues_to_own(client_, cfg_.group, topic, cfg_.model);
  if (!mine) return;  // cannot tell now: keep what we have
  const QueueChange change = queue_change(queues_, *mine, [&](const MessageQueue& q) { return q.topic == topic; });
  bool changed = !change.gone.empty();
  for (const auto& q : change.gone) stop_queue(q);
  std::vector<MessageQueue> fresh;
  auto retiring = [&](const MessageQueue& q) {
    return std::any_of(retiring_.begin(), retiring_.end(), [&](const auto& qs) { return qs->mq == q; });
  };
  for (const auto& q : change.added)
    if (!retiring(q)) fresh.push_back(q);  // a listener still running there: later
  // Orderly clustering: only the queues whose broker lock is ours now.
  std::set<MessageQueue> locked;
  const rt::Instant lock_asked = client_.runtime().now();  // the broker's lease starts no earlier
  if (locking()) {
    std::map<std::string, std::vector<MessageQueue>> by_addr;
    for (const auto& q : fresh)
      if (auto addr = client_.master_address(q.broker_name)) by_addr[*addr].push_back(q);
    for (const auto& [addr, mqs] : by_addr)
      if (auto got = lock_queues(client_, addr, cfg_.group, mqs)) locked.insert(got->begin(), got->end());
  }
  std::map<std::string, std::vector<MessageQueue>> not_started;  // locked, but could not start: let go
  for (const auto& q : fresh) {
    if (locking() && !locked.count(q) && !common::canary::client_orderly_unlocked) {
      lock_missed_ = true;  // its previous owner has not let go yet
      continue;
    }
    if (start_queue(q, lock_asked)) {
      changed = true;
    } else if (locking()) {
      if (auto addr = client_.master_address(q.broker_name)) not_started[*addr].push_back(q);
    }
  }
  for (const auto& [addr, mqs] : not_started) (void)unlock_queues(client_, addr, cfg_.group, mqs);
  if (changed && on_rebalance_) on_rebalance_(owned_queues());
}

bool PushConsumer::start_queue(const MessageQueue& q, rt::Instant locked_at) {
  // Orderly queues need their master's lock; others may start from a slave.
  auto addr = locking() ? client_.master_address(q.broker_name) : std::optional<std::string>{};
  if (!locking())
    if (auto where = client_.subscribe_address(q.broker_name)) addr = where->address;
  if (!addr) return false;
  auto qs = std::make_shared<QueueState>(client_.runtime());
  qs->mq = q;
  qs->addr = *addr;
  if (locking()) {
    set_locked(*qs, true, "took");
    qs->locked_at = locked_at;
  }
  auto offset = start_offset(q, *addr);
  if (!offset) {
    client_.runtime().log(rt::LogLevel::warn, "consumer " + cfg_.group + ": no start offset for " + q.to_string() + ": " +
                                                  offset.error().message());
    return false;
  }
  qs->next_pull = qs->consumed = *offset;
  // A concurrent rebalance may have started it while this one asked.
  if (queues_.count(q) || stopped_) return false;
  queues_[q] = qs;
  qs->task = client_.runtime().spawn("consumer-pull", [this, qs] { pull_loop(qs); });
  return true;
}

bool PushConsumer::wait_idle(QueueState& qs, rt::Duration limit) {
  const rt::Instant deadline = rt::deadline_after(client_.runtime().now(), limit);
  while (qs.consuming) {
    qs.idle.reset();
    if (!qs.idle.wait(deadline - client_.runtime().now())) return !qs.consuming;
  }
  return true;
}

void PushConsumer::stop_queue(const MessageQueue& q) {
  auto it = queues_.find(q);
  if (it == queues_.end()) return;
  auto qs = it->second;
  queues_.erase(it);  // before suspending: the map may change meanwhile
  retiring_.push_back(qs);
  qs->dropped = true;
  // A running listener finishes first, but a rebalance does not wait for
  // ever: past the bound the queue stays in retiring_ (its lock renewed,
  // not started again here) and is let go once its listener returns.
  if (!wait_idle(*qs, cfg_.listener_wait_max)) {
    client_.runtime().log(
        rt::LogLevel::warn,
        fmt::format("consumer {}: the listener has not returned for {} ms on {}; the rebalance goes on and lets the "
                    "queue go once it does",
                    cfg_.group, std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.listener_wait_max).count(),
                    q.to_string()));
    return;
  }
  let_go(qs);
}

void PushConsumer::let_go_returned() {
  std::vector<std::shared_ptr<QueueState>> returned;
  for (auto& qs : retiring_)
    if (!qs->consuming && qs->dropped) returned.push_back(qs);
  for (auto& qs : returned)
    if (std::find(retiring_.begin(), retiring_.end(), qs) != retiring_.end()) let_go(qs);
}

void PushConsumer::let_go(const std::shared_ptr<QueueState>& qs) {
  const MessageQueue q = qs->mq;
  qs->task.cancel();
  qs->task.cancel_and_join();
  // Its last offset, so that the next owner starts where this one stopped;
  // then (orderly) the lock, so that the next owner may start.
  if (cfg_.model == remoting::MessageModel::clustering && (qs->reset_to >= 0 || qs->consumed > qs->committed)) {
    const int64_t offset = qs->reset_to >= 0 ? qs->reset_to : qs->consumed;
    if (offsets_.update(q, offset_address(*qs), offset)) qs->committed = offset;
  }
  // Even when this member thinks the lock lapsed: the broker may hold it for
  // it (a lock answer that timed out).
  if (locking()) {
    (void)unlock_queues(client_, qs->addr, cfg_.group, {q});
    set_locked(*qs, false, "released");
  }
  std::erase(retiring_, qs);
}

void PushConsumer::reset_offsets(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) {
  if (stopped_ || !subscriptions_.count(topic)) return;
  rt::LockGuard one_at_a_time(rebalancing_);
  int stopped = 0;
  for (const auto& [q, offset] : offsets) {
    if (q.topic != topic) continue;
    if (offsets_.kind() == OffsetStore::Kind::local) (void)offsets_.update(q, {}, offset);
    auto it = queues_.find(q);
    if (it == queues_.end()) continue;  // another member's: it was told too
    it->second->reset_to = offset;
    stop_queue(q);  // commits reset_to once the listener returned
    ++stopped;
  }
  client_.runtime().log(rt::LogLevel::info, fmt::format("consumer {}: offsets of {} reset by an operator; {} queue(s) "
                                                        "start again from them",
                                                        cfg_.group, topic, stopped));
  rebalance_now_.set();  // takes the queues back, from the committed offsets
}

std::string PushConsumer::offset_address(const QueueState& qs) const {
  // The master while the route has it, else a slave (RemoteBrokerOffsetStore).
  if (auto where = client_.subscribe_address(qs.mq.broker_name)) return where->address;
  return qs.addr;
}

bool PushConsumer::lock_valid(const QueueState& qs) const {
  return qs.locked && client_.runtime().now() - qs.locked_at < cfg_.lock_max_live;
}

// Takes the queue's lock again after it was lost; on success the queue goes
// on from the group's committed offset (another member may have moved it).
bool PushConsumer::relock(QueueState& qs) {
  const rt::Instant asked = client_.runtime().now();  // the broker's lease starts no earlier
  auto got = lock_queues(client_, qs.addr, cfg_.group, {qs.mq});
  if (!got || !got->count(qs.mq)) {
    set_locked(qs, false, got ? "lost" : "lapsed");
    return false;
  }
  // Only with the offset read is the queue ours to go on with.
  auto offset = offsets_.read(qs.mq, qs.addr);
  if (!offset) {
    set_locked(qs, false, "lapsed");
    return false;
  }
  // Everything below the larger was consumed, by another member or this one.
  if (*offset > qs.consumed) qs.next_pull = qs.consumed = qs.committed = *offset;
  if (qs.locked) set_locked(qs, false, "lapsed");  // not renewed in time: held again from now
  set_locked(qs, true, "took");
  qs.locked_at = asked;
  return true;
}

void PushConsumer::set_locked(QueueState& qs, bool locked, std::string_view why) {
  if (qs.locked == locked) return;
  qs.locked = locked;
  if (on_lock_) on_lock_(qs.mq, locked, why);
}

// RocketMQ's lockAll: every `lock_interval`, renew the lock of every owned
// queue, and of those being handed over (their listener may still run).
void PushConsumer::lock_loop() {
  for (;;) {
    client_.runtime().sleep_for(cfg_.lock_interval);
    std::map<std::string, std::vector<std::shared_ptr<QueueState>>> by_addr;
    for (auto& [q, qs] : queues_) by_addr[qs->addr].push_back(qs);
    for (auto& qs : retiring_) by_addr[qs->addr].push_back(qs);
    for (auto& [addr, list] : by_addr) {
      std::vector<MessageQueue> mqs;
      for (auto& qs : list) mqs.push_back(qs->mq);
      const rt::Instant asked = client_.runtime().now();
      auto got = lock_queues(client_, addr, cfg_.group, mqs);
      if (!got) continue;  // unreachable: the locks age; consumption stops at lock_max_live
      std::vector<MessageQueue> released;  // handed over while this lock was on its way
      for (auto& qs : list) {
        if (!got->count(qs->mq)) {
          set_locked(*qs, false, "lost");
        } else if (qs->dropped && std::find(retiring_.begin(), retiring_.end(), qs) == retiring_.end()) {
          released.push_back(qs->mq);
        } else if (lock_valid(*qs)) {  // lost meanwhile: relock() re-reads the offset
          qs->locked_at = asked;
        }
      }
      if (!released.empty()) (void)unlock_queues(client_, addr, cfg_.group, released);
    }
  }
}

rt::Result<int64_t> PushConsumer::start_offset(const MessageQueue& q, const std::string& addr) {
  return offsets_.start_offset(q, addr, cfg_.consume_from, cfg_.consume_timestamp_ms);
}

void PushConsumer::pull_loop(std::shared_ptr<QueueState> qs) {
  const std::string& expr = subscriptions_.count(qs->mq.topic) ? subscriptions_.at(qs->mq.topic) : "*";
  const std::set<std::string> tags = remoting::parse_tag_expression(expr);
  auto& rt = client_.runtime();
  while (!qs->dropped) {
    if (locking() && !lock_valid(*qs) && !relock(*qs)) {
      rt.sleep_for(cfg_.lock_retry_interval);
      continue;
    }
    remoting::PullMessageRequestHeader h;
    h.consumer_group = cfg_.group;
    h.queue_offset = qs->next_pull;
    h.max_msg_nums = static_cast<int32_t>(
        std::clamp<size_t>(std::min<size_t>(static_cast<size_t>(std::max(cfg_.pull_batch, 1)), cfg_.max_cached_messages),
                           1, INT32_MAX));
    h.max_msg_bytes = static_cast<int32_t>(std::clamp<size_t>(cfg_.max_cached_bytes, 1, INT32_MAX));
    // The master, or the broker its last answer suggested; a slave when the
    // master left the route (RocketMQ's findBrokerAddressInSubscribe).
    auto where = client_.subscribe_address(qs->mq.broker_name, qs->pull_from);
    if (!where) {
      rt.sleep_for(cfg_.pull_backoff);
      continue;
    }
    h.sys_flag = remoting::kPullSuspend | remoting::kPullSubscription;
    if (cfg_.model == remoting::MessageModel::clustering && qs->consumed > 0 && !where->slave) {
      h.sys_flag |= remoting::kPullCommitOffset;  // a slave does not keep it
      h.commit_offset = qs->consumed;
    }
    h.suspend_timeout_millis = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.pull_suspend).count();
    h.subscription = expr;
    h.sub_version = 1;
    const int64_t asked = h.queue_offset;
    auto r = pull(client_, where->address, qs->mq, std::move(h), tags, cfg_.pull_timeout);
    if (!r) {
      rt.sleep_for(cfg_.pull_backoff);
      continue;
    }
    qs->pull_from = r->suggest_which_broker_id;
    // "Try again" without progress (a slave that does not serve reads sends
    // the consumer back to its master): not at once, or it would spin while
    // the master is away.
    if (r->status == PullStatus::no_matched_msg && r->next_begin_offset == asked) rt.sleep_for(cfg_.pull_backoff);
    switch (r->status) {
      case PullStatus::found: {
        bool all = true;
        for (auto& m : r->messages) {
          if (qs->dropped) {
            all = false;
            break;
          }
          const int64_t offset = m.queue_offset;
          if (cfg_.orderly) {
            if (!consume_orderly(*qs, std::move(m))) {  // lost the lock (or dropped): pull again later
              all = false;
              break;
            }
          } else {
            consume(*qs, m);
          }
          qs->consumed = offset + 1;
        }
        if (all) {
          qs->consumed = std::max(qs->consumed, r->body_end_offset);  // filtered ones too
          qs->next_pull = r->next_begin_offset;
        } else {
          qs->next_pull = qs->consumed;
        }
        break;
      }
      case PullStatus::no_new_msg:
      case PullStatus::no_matched_msg: qs->next_pull = r->next_begin_offset; break;
      case PullStatus::offset_illegal: qs->next_pull = qs->consumed = r->next_begin_offset; break;
    }
  }
}

ConsumeResult PushConsumer::call_listener(QueueState& qs, const ReceivedMessage& m) {
  qs.consuming = true;
  struct Done {
    QueueState& qs;
    rt::Event& rebalance_now;
    ~Done() {
      qs.consuming = false;
      qs.idle.set();
      if (qs.dropped) rebalance_now.set();  // a rebalance that went on without it lets the queue go
    }
  } done{qs, rebalance_now_};
  return listener_(m);
}

void PushConsumer::consume(QueueState& qs, const ReceivedMessage& first) {
  const ReceivedMessage* m = &first;
  std::optional<ReceivedMessage> again;
  for (int attempt = 0;; ++attempt) {
    if (call_listener(qs, *m) == ConsumeResult::success) return;
    if (cfg_.model == remoting::MessageModel::broadcasting) return;  // RocketMQ drops failed broadcasts
    if (send_back(qs, *m, 0)) return;
    // The broker did not take it back: retry here, a bounded number of
    // times, counting the attempt as RocketMQ's consumer does.
    if (attempt >= max_reconsume()) {
      client_.runtime().log(rt::LogLevel::error, "consumer " + cfg_.group + ": giving up on " + m->msg_id);
      return;
    }
    client_.runtime().sleep_for(cfg_.local_retry_delay);
    if (qs.dropped) return;
    if (!again) again = first;
    if (again->reconsume_times < INT32_MAX) ++again->reconsume_times;
    m = &*again;
  }
}

// CONSUMER_SEND_MSG_BACK: delay level 0 (the broker's choice: a retry) or
// -1 (straight to the DLQ). True when the broker took it.
bool PushConsumer::send_back(const QueueState& qs, const ReceivedMessage& m, int32_t delay_level) {
  auto req = RemotingCommand::request(rc::kConsumerSendMsgBack);
  remoting::ConsumerSendMsgBackRequestHeader h;
  h.offset = m.commit_log_offset;
  h.group = cfg_.group;
  h.delay_level = delay_level;
  h.origin_msg_id = m.msg_id;
  h.origin_topic = m.topic;
  h.max_reconsume_times = max_reconsume();
  h.encode(req);
  // Only a master takes messages (RocketMQ's findBrokerAddressInPublish).
  auto master = client_.master_address(qs.mq.broker_name);
  if (!master) return false;
  auto resp = client_.invoke(*master, std::move(req), client_.config().rpc_timeout);
  return resp && resp->code == rs::kSuccess;
}

// One message, retried in place until it succeeds (or goes to the DLQ).
// False: the queue was dropped or its lock lost before it succeeded.
bool PushConsumer::consume_orderly(QueueState& qs, ReceivedMessage m) {
  if (qs.retrying_offset == m.queue_offset && qs.retrying_msg_id == m.msg_id)
    m.reconsume_times = std::max(m.reconsume_times, qs.retried);
  qs.retrying_offset = -1;  // set again below if its lock lapses once more
  for (;;) {
    if (qs.dropped) return false;
    if (locking() && !lock_valid(qs)) {
      qs.retrying_offset = m.queue_offset;
      qs.retrying_msg_id = m.msg_id;
      qs.retried = m.reconsume_times;
      return false;
    }
    if (call_listener(qs, m) == ConsumeResult::success) return true;
    if (m.reconsume_times >= max_reconsume() && cfg_.model == remoting::MessageModel::clustering) {
      // Out of retries: to the DLQ (delay level -1), then the queue moves on.
      if (send_back(qs, m, -1)) return true;
    } else if (m.reconsume_times >= max_reconsume()) {
      return true;  // broadcasting: dropped, as RocketMQ does
    }
    client_.runtime().sleep_for(cfg_.suspend_current_queue);
    if (m.reconsume_times < INT32_MAX) ++m.reconsume_times;
  }
}

void PushConsumer::commit_offsets() {
  // A snapshot: committing suspends, and a rebalance may change queues_.
  std::vector<std::shared_ptr<QueueState>> snapshot;
  for (auto& [q, qs] : queues_) snapshot.push_back(qs);
  commit_offsets(snapshot);
}

void PushConsumer::commit_offsets(const std::vector<std::shared_ptr<QueueState>>& list) {
  for (auto& qs : list) {
    // A queue handed over meanwhile committed its own offset; one whose lock
    // lapsed may have moved on at another member.
    if (qs->dropped || (locking() && !lock_valid(*qs))) continue;
    if (cfg_.model == remoting::MessageModel::broadcasting) {
      if (qs->consumed > qs->committed) (void)offsets_.update(qs->mq, {}, qs->consumed);
      qs->committed = std::max(qs->committed, qs->consumed);
      continue;
    }
    // Again when the offsets' broker changed (the master left the route or
    // came back), so that it does not lag behind where this member is.
    const std::string addr = offset_address(*qs);
    if (qs->consumed <= qs->committed && addr == qs->committed_at) continue;
    const int64_t offset = qs->consumed;
    if (offsets_.update(qs->mq, addr, offset)) {
      qs->committed = std::max(qs->committed, offset);
      qs->committed_at = addr;
    }
  }
  offsets_.persist();
}

}  // namespace rmq::client
