#include "client/push_consumer.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "common/atomic_file.h"
#include "common/java_hash.h"
#include "common/json.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_consumer.h"
#include "remoting/headers_pull.h"

namespace rmq::client {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {

constexpr int32_t kPermRead = 0x4;
constexpr size_t kInflatedMax = 64 << 20;

std::optional<std::string> inflate_body(const std::vector<std::byte>& z) {
  z_stream s{};
  if (inflateInit(&s) != Z_OK) return std::nullopt;
  std::string out;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(z.data()));
  s.avail_in = static_cast<uInt>(z.size());
  int rc = Z_OK;
  char buf[16384];
  while (rc == Z_OK && out.size() <= kInflatedMax) {
    s.next_out = reinterpret_cast<Bytef*>(buf);
    s.avail_out = sizeof buf;
    rc = inflate(&s, Z_NO_FLUSH);
    out.append(buf, sizeof buf - s.avail_out);
  }
  inflateEnd(&s);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

// RocketMQ's AllocateMessageQueueAveragely: `me`'s share of `all`.
std::vector<MessageQueue> allocate_averagely(const std::vector<MessageQueue>& all,
                                             const std::vector<std::string>& ids, const std::string& me) {
  auto it = std::find(ids.begin(), ids.end(), me);
  if (it == ids.end() || all.empty()) return {};
  const size_t index = static_cast<size_t>(it - ids.begin());
  const size_t n = all.size();
  const size_t m = ids.size();
  const size_t mod = n % m;
  const size_t avg = n <= m ? 1 : (mod > 0 && index < mod ? n / m + 1 : n / m);
  const size_t start = mod > 0 && index < mod ? index * avg : index * avg + mod;
  std::vector<MessageQueue> out;
  for (size_t i = 0; i < std::min(avg, n > start ? n - start : 0); ++i) out.push_back(all[(start + i) % n]);
  return out;
}

std::string retry_topic_of(const std::string& group) { return "%RETRY%" + group; }

}  // namespace

struct PushConsumer::QueueState {
  MessageQueue mq;
  std::string addr;
  int64_t next_pull = 0;
  int64_t consumed = 0;   // next offset to commit
  int64_t committed = -1;
  bool dropped = false;
  rt::Task task;
};

PushConsumer::PushConsumer(MqClient& client, PushConsumerConfig cfg)
    : client_(client), cfg_(std::move(cfg)), rebalance_now_(client.runtime()) {}

PushConsumer::~PushConsumer() { shutdown(); }

void PushConsumer::subscribe(const std::string& topic, const std::string& expression) {
  subscriptions_[topic] = expression;
}

remoting::ConsumerData PushConsumer::consumer_data() const {
  remoting::ConsumerData d;
  d.group_name = cfg_.group;
  d.consume_type = remoting::ConsumeType::passively;
  d.message_model = cfg_.model;
  d.consume_from_where = cfg_.consume_from == ConsumeFrom::first_offset ? remoting::ConsumeFromWhere::first_offset
                         : cfg_.consume_from == ConsumeFrom::timestamp  ? remoting::ConsumeFromWhere::timestamp
                                                                        : remoting::ConsumeFromWhere::last_offset;
  for (const auto& [topic, expr] : subscriptions_) {
    remoting::SubscriptionData s;
    s.topic = topic;
    s.sub_string = expr;
    s.tags_set = remoting::parse_tag_expression(expr);
    for (const auto& t : s.tags_set) s.code_set.insert(common::java_string_hash(t));
    s.sub_version = 1;
    d.subscriptions.push_back(std::move(s));
  }
  return d;
}

void PushConsumer::start(Listener listener) {
  if (started_) return;
  started_ = true;
  listener_ = std::move(listener);
  if (cfg_.model == remoting::MessageModel::clustering) subscriptions_[retry_topic_of(cfg_.group)] = "*";
  if (cfg_.model == remoting::MessageModel::broadcasting) load_broadcast_offsets();
  client_.add_consumer(cfg_.group, [this] { return consumer_data(); }, [this] { rebalance_now_.set(); });
  for (const auto& [topic, _] : subscriptions_) (void)client_.route(topic);
  client_.heartbeat_all();
  tasks_.push_back(client_.runtime().spawn("consumer-rebalance", [this] { rebalance_loop(); }));
  tasks_.push_back(client_.runtime().spawn("consumer-offsets", [this] { persist_loop(); }));
}

void PushConsumer::shutdown() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  for (auto& [q, qs] : queues_) {
    qs->dropped = true;
    qs->task.cancel();
  }
  for (auto& [q, qs] : queues_) qs->task.cancel_and_join();  // no rebalance runs any more
  commit_offsets();
  client_.remove_consumer(cfg_.group);
  if (cfg_.model == remoting::MessageModel::clustering) {
    for (const auto& addr : client_.broker_addresses()) {
      auto req = RemotingCommand::request(rc::kUnregisterClient);
      remoting::UnregisterClientRequestHeader h;
      h.client_id = client_.client_id();
      h.consumer_group = cfg_.group;
      h.encode(req);
      (void)client_.invoke(addr, std::move(req), client_.config().rpc_timeout);
    }
  }
  queues_.clear();
}

std::vector<MessageQueue> PushConsumer::owned_queues() const {
  std::vector<MessageQueue> out;
  for (const auto& [q, _] : queues_) out.push_back(q);
  return out;
}

void PushConsumer::rebalance_loop() {
  for (;;) {
    rebalance();
    (void)rebalance_now_.wait(cfg_.rebalance_interval);
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
  for (const auto& [topic, _] : subscriptions_) rebalance_topic(topic);
}

void PushConsumer::rebalance_topic(const std::string& topic) {
  auto route = client_.route(topic);
  if (!route) return;  // no route (yet): keep what we have
  std::vector<MessageQueue> all;
  for (const auto& qd : route->queue_datas) {
    if ((qd.perm & kPermRead) == 0) continue;
    for (int32_t q = 0; q < qd.read_queue_nums; ++q) all.push_back({topic, qd.broker_name, q});
  }
  std::sort(all.begin(), all.end());
  std::vector<MessageQueue> mine;
  if (cfg_.model == remoting::MessageModel::broadcasting) {
    mine = all;
  } else {
    if (all.empty()) return;
    auto addr = client_.master_address(all.front().broker_name);
    if (!addr) return;
    auto req = RemotingCommand::request(rc::kGetConsumerListByGroup);
    remoting::ConsumerGroupRequestHeader h;
    h.consumer_group = cfg_.group;
    h.encode(req);
    auto resp = client_.invoke(*addr, std::move(req), client_.config().rpc_timeout);
    if (!resp || resp->code != rs::kSuccess) return;
    auto v = json::parse_lenient(remoting::to_text(resp->body));
    if (!v || !v->is_object()) return;
    std::vector<std::string> ids;
    if (const auto* list = v->as_object().if_contains("consumerIdList"); list && list->is_array())
      for (const auto& id : list->as_array())
        if (auto s = json::scalar_text(id)) ids.push_back(*s);
    std::sort(ids.begin(), ids.end());
    mine = allocate_averagely(all, ids, client_.client_id());
  }
  const std::set<MessageQueue> wanted(mine.begin(), mine.end());
  std::vector<MessageQueue> gone;
  for (const auto& [q, _] : queues_)
    if (q.topic == topic && !wanted.count(q)) gone.push_back(q);
  bool changed = !gone.empty();
  for (const auto& q : gone) stop_queue(q);
  for (const auto& q : mine)
    if (!queues_.count(q)) {
      start_queue(q);
      changed = true;
    }
  if (changed && on_rebalance_) on_rebalance_(owned_queues());
}

void PushConsumer::start_queue(const MessageQueue& q) {
  auto addr = client_.master_address(q.broker_name);
  if (!addr) return;
  auto qs = std::make_shared<QueueState>();
  qs->mq = q;
  qs->addr = *addr;
  auto offset = start_offset(q, *addr);
  if (!offset) {
    client_.runtime().log(rt::LogLevel::warn, "consumer " + cfg_.group + ": no start offset for " + q.to_string() + ": " +
                                                  offset.error().message());
    return;
  }
  qs->next_pull = qs->consumed = *offset;
  // A concurrent rebalance may have started it while this one asked.
  if (queues_.count(q) || stopped_) return;
  queues_[q] = qs;
  qs->task = client_.runtime().spawn("consumer-pull", [this, qs] { pull_loop(qs); });
}

void PushConsumer::stop_queue(const MessageQueue& q) {
  auto it = queues_.find(q);
  if (it == queues_.end()) return;
  auto qs = it->second;
  queues_.erase(it);  // before suspending: the map may change meanwhile
  qs->dropped = true;
  qs->task.cancel();
  qs->task.cancel_and_join();
  // Its last offset, so that the next owner starts where this one stopped.
  if (cfg_.model == remoting::MessageModel::clustering && qs->consumed > qs->committed) {
    auto req = RemotingCommand::request(rc::kUpdateConsumerOffset);
    remoting::UpdateConsumerOffsetRequestHeader h{cfg_.group, q.topic, q.queue_id, qs->consumed};
    h.encode(req);
    (void)client_.invoke(qs->addr, std::move(req), client_.config().rpc_timeout);
  }
}

rt::Result<int64_t> PushConsumer::start_offset(const MessageQueue& q, const std::string& addr) {
  if (cfg_.model == remoting::MessageModel::broadcasting) {
    if (auto it = broadcast_offsets_.find(q); it != broadcast_offsets_.end()) return it->second;
  } else {
    auto req = RemotingCommand::request(rc::kQueryConsumerOffset);
    remoting::QueryConsumerOffsetRequestHeader h;
    h.consumer_group = cfg_.group;
    h.topic = q.topic;
    h.queue_id = q.queue_id;
    h.encode(req);
    auto resp = client_.invoke(addr, std::move(req), client_.config().rpc_timeout);
    if (!resp) return resp.error();
    if (resp->code == rs::kSuccess) {
      if (auto o = remoting::OffsetResponseHeader::decode(*resp); o && o->offset >= 0) return o->offset;
    } else if (resp->code != rs::kQueryNotFound) {
      return rt::Error(rt::Errc::io_error, "QUERY_CONSUMER_OFFSET answered " + std::to_string(resp->code));
    }
  }
  if (cfg_.consume_from == ConsumeFrom::first_offset || q.topic.rfind("%RETRY%", 0) == 0) return int64_t{0};
  const bool by_time = cfg_.consume_from == ConsumeFrom::timestamp;
  auto req = RemotingCommand::request(by_time ? rc::kSearchOffsetByTimestamp : rc::kGetMaxOffset);
  remoting::put_field(req, "topic", q.topic);
  remoting::put_field(req, "queueId", q.queue_id);
  if (by_time) remoting::put_field(req, "timestamp", cfg_.consume_timestamp_ms);
  auto resp = client_.invoke(addr, std::move(req), client_.config().rpc_timeout);
  if (!resp) return resp.error();
  auto o = remoting::OffsetResponseHeader::decode(*resp);
  if (!o) return o.error();
  return o->offset;
}

void PushConsumer::pull_loop(std::shared_ptr<QueueState> qs) {
  const std::string& expr = subscriptions_.count(qs->mq.topic) ? subscriptions_.at(qs->mq.topic) : "*";
  const std::set<std::string> tags = remoting::parse_tag_expression(expr);
  while (!qs->dropped) {
    auto req = RemotingCommand::request(rc::kPullMessage);
    remoting::PullMessageRequestHeader h;
    h.consumer_group = cfg_.group;
    h.topic = qs->mq.topic;
    h.queue_id = qs->mq.queue_id;
    h.queue_offset = qs->next_pull;
    h.max_msg_nums = cfg_.pull_batch;
    h.sys_flag = remoting::kPullSuspend | remoting::kPullSubscription;
    if (cfg_.model == remoting::MessageModel::clustering && qs->consumed > 0) {
      h.sys_flag |= remoting::kPullCommitOffset;
      h.commit_offset = qs->consumed;
    }
    h.suspend_timeout_millis = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.pull_suspend).count();
    h.subscription = expr;
    h.sub_version = 1;
    h.encode(req);
    auto resp = client_.invoke(qs->addr, std::move(req), cfg_.pull_timeout);
    if (!resp) {
      client_.runtime().sleep_for(cfg_.pull_backoff);
      continue;
    }
    auto rh = remoting::PullMessageResponseHeader::decode(*resp);
    if (resp->code == rs::kSuccess && rh) {
      size_t at = 0;
      while (at < resp->body.size() && !qs->dropped) {
        auto d = common::decode_stored(std::span<const std::byte>(resp->body.data() + at, resp->body.size() - at));
        if (d.status != common::RecordStatus::ok) break;
        at += d.size;
        const common::StoredMessage& s = *d.message;
        ReceivedMessage m;
        m.queue = qs->mq;
        m.queue_offset = s.queue_offset;
        m.properties = common::decode_properties(s.properties);
        m.tags = m.properties.count("TAGS") ? m.properties["TAGS"] : "";
        if (!tags.empty() && !tags.count(m.tags)) {  // the broker filters by hash only
          qs->consumed = s.queue_offset + 1;
          continue;
        }
        m.keys = m.properties.count("KEYS") ? m.properties["KEYS"] : "";
        m.topic = m.properties.count("RETRY_TOPIC") ? m.properties["RETRY_TOPIC"] : s.topic;
        m.offset_msg_id = common::offset_msg_id(s.store_host, s.physical_offset);
        m.msg_id = m.properties.count("UNIQ_KEY") ? m.properties["UNIQ_KEY"] : m.offset_msg_id;
        m.reconsume_times = s.reconsume_times;
        m.commit_log_offset = s.physical_offset;
        m.store_timestamp = s.store_timestamp;
        if (s.sys_flag & common::kSysFlagCompressed) {
          auto body = inflate_body(s.body);
          if (!body) {
            client_.runtime().log(rt::LogLevel::error, "consumer: message " + m.msg_id + " does not inflate; skipped");
            qs->consumed = s.queue_offset + 1;
            continue;
          }
          m.body = std::move(*body);
        } else {
          m.body.assign(reinterpret_cast<const char*>(s.body.data()), s.body.size());
        }
        consume(*qs, m);
        qs->consumed = s.queue_offset + 1;
      }
      qs->next_pull = rh->next_begin_offset;
    } else if (rh && (resp->code == rs::kPullNotFound || resp->code == rs::kPullRetryImmediately)) {
      qs->next_pull = rh->next_begin_offset;
    } else if (rh && resp->code == rs::kPullOffsetMoved) {
      qs->next_pull = qs->consumed = rh->next_begin_offset;
    } else {
      client_.runtime().sleep_for(cfg_.pull_backoff);
    }
  }
}

void PushConsumer::consume(QueueState& qs, const ReceivedMessage& m) {
  for (int attempt = 0;; ++attempt) {
    if (listener_(m) == ConsumeResult::success) return;
    if (cfg_.model == remoting::MessageModel::broadcasting) return;  // RocketMQ drops failed broadcasts
    auto req = RemotingCommand::request(rc::kConsumerSendMsgBack);
    remoting::ConsumerSendMsgBackRequestHeader h;
    h.offset = m.commit_log_offset;
    h.group = cfg_.group;
    h.delay_level = 0;
    h.origin_msg_id = m.msg_id;
    h.origin_topic = m.topic;
    h.max_reconsume_times = cfg_.max_reconsume_times;
    h.encode(req);
    auto resp = client_.invoke(qs.addr, std::move(req), client_.config().rpc_timeout);
    if (resp && resp->code == rs::kSuccess) return;
    // The broker did not take it back: retry here, a bounded number of times.
    if (attempt >= cfg_.max_reconsume_times) {
      client_.runtime().log(rt::LogLevel::error, "consumer " + cfg_.group + ": giving up on " + m.msg_id);
      return;
    }
    client_.runtime().sleep_for(cfg_.local_retry_delay);
    if (qs.dropped) return;
  }
}

void PushConsumer::commit_offsets() {
  // A snapshot: committing suspends, and a rebalance may change queues_.
  std::vector<std::pair<MessageQueue, std::shared_ptr<QueueState>>> snapshot(queues_.begin(), queues_.end());
  for (auto& [q, qs] : snapshot) {
    if (qs->consumed <= qs->committed) continue;
    if (cfg_.model == remoting::MessageModel::broadcasting) {
      broadcast_offsets_[q] = qs->consumed;
      qs->committed = qs->consumed;
      continue;
    }
    auto req = RemotingCommand::request(rc::kUpdateConsumerOffset);
    remoting::UpdateConsumerOffsetRequestHeader h{cfg_.group, q.topic, q.queue_id, qs->consumed};
    h.encode(req);
    const int64_t offset = qs->consumed;
    auto resp = client_.invoke(qs->addr, std::move(req), client_.config().rpc_timeout);
    if (resp && resp->code == rs::kSuccess) qs->committed = std::max(qs->committed, offset);
  }
  if (cfg_.model == remoting::MessageModel::broadcasting) save_broadcast_offsets();
}

// Broadcasting offsets file: one "topic broker queueId offset" line each.
void PushConsumer::load_broadcast_offsets() {
  if (cfg_.broadcast_offsets_path.empty()) return;
  auto text = common::read_file(client_.runtime().fs(), cfg_.broadcast_offsets_path);
  if (!text) return;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string line(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    char topic[256], broker[256];
    int queue = 0;
    long long offset = 0;
    if (std::sscanf(line.c_str(), "%255s %255s %d %lld", topic, broker, &queue, &offset) == 4 && offset >= 0)
      broadcast_offsets_[MessageQueue{topic, broker, queue}] = offset;
  }
}

void PushConsumer::save_broadcast_offsets() {
  if (cfg_.broadcast_offsets_path.empty()) return;
  std::string text;
  for (const auto& [q, o] : broadcast_offsets_) text += fmt::format("{} {} {} {}\n", q.topic, q.broker_name, q.queue_id, o);
  if (auto r = common::replace_file(client_.runtime().fs(), cfg_.broadcast_offsets_path, text); !r)
    client_.runtime().log(rt::LogLevel::warn, "broadcast offsets not saved: " + r.error().message());
}

}  // namespace rmq::client
