#include "client/pull_consumer.h"

#include <algorithm>

#include "client/rebalance.h"
#include "remoting/codes.h"

namespace rmq::client {

namespace rc = remoting::request_code;
using remoting::RemotingCommand;

struct PullConsumer::QueueState {
  MessageQueue mq;
  std::string addr;       // where it started
  int64_t pull_from = 0;  // the broker id the last pull suggested
  int64_t next_pull = 0;  // where the pull task asks next
  int64_t consumed = 0;   // past what poll() returned
  int64_t committed = -1;
  uint64_t epoch = 0;     // bumped by seek(): older batches are dropped
  bool dropped = false;
  rt::Task task;
};

PullConsumer::PullConsumer(MqClient& client, PullConsumerConfig cfg)
    : client_(client),
      cfg_(std::move(cfg)),
      offsets_(OffsetStore::remote(client, cfg_.group)),
      arrived_(client.runtime()),
      rebalance_now_(client.runtime()) {}

PullConsumer::~PullConsumer() { shutdown(); }

void PullConsumer::subscribe(const std::string& topic, const std::string& expression) {
  subscriptions_[topic] = expression;
}

void PullConsumer::assign(std::vector<MessageQueue> queues, const std::string& expression) {
  assign_mode_ = true;
  std::sort(queues.begin(), queues.end());
  queues.erase(std::unique(queues.begin(), queues.end()), queues.end());
  assigned_ = std::move(queues);
  assigned_expression_ = expression;
  rebalance_now_.set();  // started: the rebalance task applies it
}

std::string PullConsumer::expression_of(const std::string& topic) const {
  if (assign_mode_) return assigned_expression_;
  auto it = subscriptions_.find(topic);
  return it == subscriptions_.end() ? "*" : it->second;
}

remoting::ConsumerData PullConsumer::consumer_data() const {
  remoting::ConsumerData d;
  d.group_name = cfg_.group;
  d.consume_type = remoting::ConsumeType::actively;
  d.message_model = remoting::MessageModel::clustering;
  d.consume_from_where = consume_from_where(cfg_.consume_from);
  std::set<std::string> topics;
  for (const auto& [topic, _] : subscriptions_) topics.insert(topic);
  for (const auto& q : assigned_) topics.insert(q.topic);
  for (const auto& topic : topics) d.subscriptions.push_back(subscription_data(topic, expression_of(topic)));
  return d;
}

void PullConsumer::start() {
  if (started_) return;
  started_ = true;
  client_.add_consumer(cfg_.group, [this] { return consumer_data(); }, [this] { rebalance_now_.set(); });
  for (const auto& [topic, _] : subscriptions_) (void)client_.route(topic);
  for (const auto& q : assigned_) (void)client_.route(q.topic);
  client_.heartbeat_all();
  tasks_.push_back(client_.runtime().spawn("pull-consumer-rebalance", [this] { rebalance_loop(); }));
  if (cfg_.auto_commit)
    tasks_.push_back(client_.runtime().spawn("pull-consumer-commit", [this] { commit_loop(); }));
}

void PullConsumer::shutdown() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  arrived_.set();  // a poll() waiting returns now
  // If this task is cancelled in one of the waits below, teardown() still
  // stops every task before the object can go away.
  struct Teardown {
    PullConsumer& c;
    ~Teardown() { c.teardown(); }
  } teardown_at_exit{*this};
  client_.remove_consumer(cfg_.group);
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  std::vector<std::shared_ptr<QueueState>> all;
  for (auto& [q, qs] : queues_) all.push_back(qs);
  for (auto& qs : all) qs->task.cancel();
  for (auto& qs : all) qs->task.cancel_and_join();
  if (cfg_.auto_commit) (void)commit();
  unregister_consumer(client_, cfg_.group);
}

// Idempotent; suspends only to join tasks (which works while unwinding).
void PullConsumer::teardown() {
  client_.remove_consumer(cfg_.group);
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  std::vector<std::shared_ptr<QueueState>> all;
  for (auto& [q, qs] : queues_) all.push_back(qs);
  for (auto& qs : all) {
    qs->dropped = true;
    if (qs->task.valid()) qs->task.cancel();
  }
  for (auto& qs : all)
    if (qs->task.valid()) qs->task.cancel_and_join();
  queues_.clear();
  ready_.clear();
}

void PullConsumer::commit_loop() {
  for (;;) {
    client_.runtime().sleep_for(cfg_.auto_commit_interval);
    (void)commit();
  }
}

rt::Result<std::vector<MessageQueue>> PullConsumer::fetch_queues(const std::string& topic) {
  auto route = client_.route(topic);
  if (!route) return route.error();
  return readable_queues(*route, topic);
}

std::vector<MessageQueue> PullConsumer::assignment() const {
  std::vector<MessageQueue> out;
  for (const auto& [q, _] : queues_) out.push_back(q);
  return out;
}

// Subscriptions: rebalance. Assignment: start what is assigned, again after
// `pull_backoff` while some queue could not start (no route or offset yet).
void PullConsumer::rebalance_loop() {
  for (;;) {
    rt::Duration next = cfg_.rebalance_interval;
    if (assign_mode_) {
      set_queues(assigned_);
      if (queues_.size() < assigned_.size()) next = cfg_.pull_backoff;
    } else {
      rebalance();
    }
    (void)rebalance_now_.wait(next);
    rebalance_now_.reset();
  }
}

void PullConsumer::rebalance() {
  std::vector<MessageQueue> wanted;
  std::set<std::string> kept;  // topics whose allocation could not be computed keep their queues
  for (const auto& [topic, _] : subscriptions_) {
    auto mine = queues_to_own(client_, cfg_.group, topic, remoting::MessageModel::clustering);
    if (!mine) {
      kept.insert(topic);
      continue;
    }
    for (auto& q : *mine) wanted.push_back(std::move(q));
  }
  for (const auto& [q, _] : queues_)
    if (kept.count(q.topic)) wanted.push_back(q);
  set_queues(wanted);
}

void PullConsumer::set_queues(const std::vector<MessageQueue>& wanted) {
  const std::set<MessageQueue> want(wanted.begin(), wanted.end());
  const QueueChange change = queue_change(queues_, {want.begin(), want.end()}, [](const MessageQueue&) { return true; });
  for (const auto& q : change.gone) stop_queue(q);
  for (const auto& q : change.added) (void)start_queue(q);
}

std::optional<std::string> PullConsumer::read_address(const std::string& broker_name) const {
  // The master while the route has it, else a slave.
  if (auto where = client_.subscribe_address(broker_name)) return where->address;
  return std::nullopt;
}

bool PullConsumer::start_queue(const MessageQueue& q) {
  auto addr = read_address(q.broker_name);
  if (!addr) return false;
  auto offset = offsets_.start_offset(q, *addr, cfg_.consume_from, cfg_.consume_timestamp_ms);
  if (!offset) {
    client_.runtime().log(rt::LogLevel::warn, "pull consumer " + cfg_.group + ": no start offset for " + q.to_string() +
                                                  ": " + offset.error().message());
    return false;
  }
  if (queues_.count(q) || stopped_) return false;
  auto qs = std::make_shared<QueueState>();
  qs->mq = q;
  qs->addr = *addr;
  qs->next_pull = qs->consumed = *offset;
  queues_[q] = qs;
  spawn_pull(qs);
  return true;
}

void PullConsumer::stop_queue(const MessageQueue& q) {
  auto it = queues_.find(q);
  if (it == queues_.end()) return;
  auto qs = it->second;
  queues_.erase(it);
  qs->dropped = true;
  std::erase_if(ready_, [&](const Batch& b) { return b.qs == qs; });
  qs->task.cancel();
  qs->task.cancel_and_join();
  if (cfg_.auto_commit && qs->consumed != qs->committed) {
    const int64_t offset = qs->consumed;
    if (offsets_.update(q, read_address(q.broker_name).value_or(qs->addr), offset))
      qs->committed = offset;
  }
}

void PullConsumer::spawn_pull(const std::shared_ptr<QueueState>& qs) {
  qs->task = client_.runtime().spawn("pull-consumer-pull", [this, qs] { pull_loop(qs); });
}

size_t PullConsumer::cached(const QueueState& qs) const {
  size_t n = 0;
  for (const auto& b : ready_)
    if (b.qs.get() == &qs) n += b.messages.size();
  return n;
}

void PullConsumer::pull_loop(std::shared_ptr<QueueState> qs) {
  auto& rt = client_.runtime();
  const std::string expr = expression_of(qs->mq.topic);
  const std::set<std::string> tags = remoting::parse_tag_expression(expr);
  while (!qs->dropped) {
    if (cached(*qs) >= cfg_.max_cached_messages) {  // flow control: poll() has not caught up
      rt.sleep_for(50ms);
      continue;
    }
    remoting::PullMessageRequestHeader h;
    h.consumer_group = cfg_.group;
    h.queue_offset = qs->next_pull;
    h.max_msg_nums = std::max(cfg_.pull_batch, 1);
    h.sys_flag = remoting::kPullSuspend | remoting::kPullSubscription;
    h.suspend_timeout_millis = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.pull_suspend).count();
    h.subscription = expr;
    h.sub_version = 1;
    const uint64_t epoch = qs->epoch;
    auto where = client_.subscribe_address(qs->mq.broker_name, qs->pull_from);
    if (!where) {
      rt.sleep_for(cfg_.pull_backoff);
      continue;
    }
    const int64_t asked = h.queue_offset;
    auto r = client::pull(client_, where->address, qs->mq, std::move(h), tags, cfg_.pull_timeout);
    if (qs->dropped) break;
    if (epoch != qs->epoch) continue;  // seek() moved the queue meanwhile
    if (!r) {
      rt.sleep_for(cfg_.pull_backoff);
      continue;
    }
    qs->pull_from = r->suggest_which_broker_id;
    // A slave that does not serve reads sends us back without progress.
    if (r->status == PullStatus::no_matched_msg && r->next_begin_offset == asked) rt.sleep_for(cfg_.pull_backoff);
    switch (r->status) {
      case PullStatus::found:
        if (!r->messages.empty()) {
          ready_.push_back({qs, epoch, std::move(r->messages), r->next_begin_offset});
          arrived_.set();
        } else if (cached(*qs) == 0) {
          qs->consumed = r->next_begin_offset;  // all filtered out: nothing to hand over
        }
        qs->next_pull = r->next_begin_offset;
        break;
      case PullStatus::no_new_msg:
      case PullStatus::no_matched_msg: qs->next_pull = r->next_begin_offset; break;
      case PullStatus::offset_illegal:
        qs->next_pull = r->next_begin_offset;
        if (cached(*qs) == 0) qs->consumed = r->next_begin_offset;
        break;
    }
  }
}

std::vector<ReceivedMessage> PullConsumer::poll(rt::Duration timeout) {
  const rt::Instant deadline = rt::deadline_after(client_.runtime().now(), timeout);
  for (;;) {
    while (!ready_.empty()) {
      Batch b = std::move(ready_.front());
      ready_.pop_front();
      if (b.qs->dropped || b.epoch != b.qs->epoch) continue;
      b.qs->consumed = std::max(b.messages.back().queue_offset + 1, b.next_offset);  // past filtered ones too
      return std::move(b.messages);  // batches queue up in arrival order, so queues take turns
    }
    const rt::Instant now = client_.runtime().now();
    if (now >= deadline || stopped_) return {};
    arrived_.reset();
    (void)arrived_.wait(deadline - now);
  }
}

rt::Result<void> PullConsumer::seek(const MessageQueue& mq, int64_t offset) {
  auto it = queues_.find(mq);
  if (it == queues_.end()) return rt::Error(rt::Errc::invalid_argument, "seek: " + mq.to_string() + " is not assigned");
  auto qs = it->second;
  auto min = queue_offset(client_, qs->addr, mq, QueueEnd::min);
  if (!min) return min.error();
  auto max = queue_offset(client_, qs->addr, mq, QueueEnd::max);
  if (!max) return max.error();
  if (offset < *min || offset > *max)
    return rt::Error(rt::Errc::invalid_argument,
                     "seek: offset " + std::to_string(offset) + " is outside [" + std::to_string(*min) + ", " +
                         std::to_string(*max) + "] of " + mq.to_string());
  if (qs->dropped) return rt::Error(rt::Errc::invalid_argument, "seek: " + mq.to_string() + " is not assigned");
  const uint64_t epoch = ++qs->epoch;
  std::erase_if(ready_, [&](const Batch& b) { return b.qs == qs; });
  qs->next_pull = qs->consumed = offset;
  // A pull held at the old offset would hold the queue up: start afresh
  // (unless a later seek has taken over, or the queue went).
  qs->task.cancel();
  qs->task.cancel_and_join();
  if (!qs->dropped && qs->epoch == epoch && qs->task.done()) spawn_pull(qs);
  return {};
}

rt::Result<void> PullConsumer::seek_to_begin(const MessageQueue& mq) {
  auto it = queues_.find(mq);
  if (it == queues_.end()) return rt::Error(rt::Errc::invalid_argument, "seek: " + mq.to_string() + " is not assigned");
  auto min = queue_offset(client_, it->second->addr, mq, QueueEnd::min);
  if (!min) return min.error();
  return seek(mq, *min);
}

rt::Result<void> PullConsumer::seek_to_end(const MessageQueue& mq) {
  auto it = queues_.find(mq);
  if (it == queues_.end()) return rt::Error(rt::Errc::invalid_argument, "seek: " + mq.to_string() + " is not assigned");
  auto max = queue_offset(client_, it->second->addr, mq, QueueEnd::max);
  if (!max) return max.error();
  return seek(mq, *max);
}

rt::Result<void> PullConsumer::commit() {
  rt::Result<void> first{};
  std::vector<std::shared_ptr<QueueState>> snapshot;
  for (const auto& [q, qs] : queues_) snapshot.push_back(qs);
  for (auto& qs : snapshot) {
    if (qs->dropped || qs->consumed == qs->committed) continue;  // handed over meanwhile: committed then
    const int64_t offset = qs->consumed;
    auto r = offsets_.update(qs->mq, read_address(qs->mq.broker_name).value_or(qs->addr), offset);
    if (r) {
      qs->committed = offset;
    } else if (first) {
      first = r;
    }
  }
  return first;
}

rt::Result<int64_t> PullConsumer::committed(const MessageQueue& mq) {
  auto addr = read_address(mq.broker_name);
  if (!addr) return rt::Error(rt::Errc::not_found, "no route to broker " + mq.broker_name);
  return offsets_.read(mq, *addr);
}

std::optional<int64_t> PullConsumer::position(const MessageQueue& mq) const {
  auto it = queues_.find(mq);
  if (it == queues_.end()) return std::nullopt;
  return it->second->consumed;
}

rt::Result<PullResult> PullConsumer::pull(const MessageQueue& mq, const std::string& expression, int64_t offset,
                                          int32_t max_nums) {
  auto addr = read_address(mq.broker_name);
  if (!addr) {
    (void)client_.route(mq.topic);
    addr = read_address(mq.broker_name);
  }
  if (!addr) return rt::Error(rt::Errc::not_found, "no route to broker " + mq.broker_name);
  remoting::PullMessageRequestHeader h;
  h.consumer_group = cfg_.group;
  h.queue_offset = offset;
  h.max_msg_nums = std::max(max_nums, 1);
  h.sys_flag = remoting::kPullSubscription;
  h.suspend_timeout_millis = 0;
  h.subscription = expression;
  h.sub_version = 1;
  return client::pull(client_, *addr, mq, std::move(h), remoting::parse_tag_expression(expression),
                      client_.config().rpc_timeout);
}

}  // namespace rmq::client
