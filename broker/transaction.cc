#include "broker/transaction.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/canary/broker_tx_check_rollback_commits.h"
#include "common/message_const.h"
#include "common/numbers.h"
#include "remoting/codes.h"
#include "remoting/rpc.h"
#include "runtime/assert.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
namespace rc = remoting::request_code;
using common::MessageProperties;
using common::StoredMessage;

namespace {

using namespace std::chrono_literals;

constexpr int32_t kHalfQueueId = 0;
constexpr size_t kUnitsPerRead = 64;
// Pending halves held in memory; beyond it the rest wait in the queue.
constexpr size_t kPendingMax = 100'000;
constexpr int kChecksPerPassMax = 2'000;
constexpr rt::Duration kResolvedKeptMin = 10min;
constexpr rt::Duration kInFlightWaitMax = 30s;


const char* to_string_outcome(int32_t commit_or_rollback) {
  return commit_or_rollback == remoting::kTransactionCommitType ? "commit" : "rollback";
}

int32_t code_for(store::PutStatus s) {
  switch (s) {
    case store::PutStatus::message_illegal:
    case store::PutStatus::properties_size_exceeded: return rs::kMessageIllegal;
    case store::PutStatus::service_not_available: return rs::kServiceNotAvailable;
    default: return rs::kSystemError;
  }
}

bool stored(const store::PutResult& r) {
  return r.ok() || r.status == store::PutStatus::flush_disk_timeout;
}

}  // namespace

TransactionService::TransactionService(rt::Runtime& rt, const BrokerConfig& cfg, store::MessageStore& store,
                                       TopicManager& topics, ConsumerOffsets& offsets, const ClientRegistry& clients)
    : rt_(rt), cfg_(cfg), store_(store), topics_(topics), offsets_(offsets), clients_(clients), pass_(rt), checks_(rt, kChecksInFlightMax) {}

TransactionService::~TransactionService() { stop(); }

void TransactionService::make_half(StoredMessage& m, MessageProperties props) {
  props[common::kPropRealTopic] = m.topic;
  props[common::kPropRealQueueId] = std::to_string(m.queue_id);
  props.erase(common::kPropDelay);
  m.topic = common::kTransHalfTopic;
  m.queue_id = kHalfQueueId;
  m.sys_flag &= ~common::kSysFlagTransactionMask;
  m.properties = common::encode_properties(props);
}

rt::Result<void> TransactionService::ensure_topics() {
  for (const char* t : {common::kTransHalfTopic, common::kTransOpHalfTopic}) {
    if (topics_.find(t)) continue;
    if (auto r = topics_.ensure(t, 1, kPermRead | kPermWrite); !r) return r.error();
  }
  return {};
}

// ---------------------------------------------------------------------------
// State

std::string TransactionService::transaction_id(const std::string& group, const std::string& uniq, int64_t offset) {
  if (uniq.empty()) return fmt::format("@{}", offset);
  return group + "/" + uniq;
}

TransactionService::Half TransactionService::half_of(const StoredMessage& m) {
  const MessageProperties props = common::decode_properties(m.properties);
  Half h;
  h.offset = m.queue_offset;
  h.phys = m.physical_offset;
  h.size = static_cast<int32_t>(common::stored_size(m));
  h.uniq = common::property_value(props, common::kPropUniqKey);
  h.group = common::property_value(props, common::kPropProducerGroup);
  h.txn = transaction_id(h.group, h.uniq, m.queue_offset);
  h.real_topic = common::property_value(props, common::kPropRealTopic);
  h.born_ms = m.born_timestamp;
  h.store_ms = m.store_timestamp;
  h.check_times = std::max(common::parse_java_int(common::property_value(props, common::kPropTransactionCheckTimes)).value_or(0), 0);
  if (auto s = common::parse_java_long(common::property_value(props, common::kPropCheckImmunityTimeInSeconds)); s && *s >= 0)
    h.immunity_ms = *s > INT64_MAX / 1000 ? INT64_MAX : *s * 1000;
  return h;
}

TransactionService::InFlight::InFlight(TransactionService& s, std::string txn)
    : s_(s), txn_(std::move(txn)), done_(std::make_shared<rt::Event>(s.rt_)) {
  RMQ_ASSERT(!s_.in_flight_.count(txn_));
  s_.in_flight_[txn_] = done_;
}

TransactionService::InFlight::~InFlight() {
  s_.in_flight_.erase(txn_);
  done_->set();
}

bool TransactionService::wait_until_ended(const std::string& txn) {
  for (auto it = in_flight_.find(txn); it != in_flight_.end(); it = in_flight_.find(txn)) {
    auto done = it->second;  // the map entry goes when it is set
    if (!done->wait(kInFlightWaitMax)) return false;
  }
  return true;
}

void TransactionService::add_pending(const Half& h) {
  if (pending_.count(h.offset)) return;
  auto& mine = pending_txns_[h.txn];
  // One transaction, one pending half: the latest copy (most checks, then
  // the latest offset) stands for the others.
  for (int64_t other : std::vector<int64_t>(mine.begin(), mine.end())) {
    const Half& o = pending_.at(other);
    if (std::tie(o.check_times, o.offset) > std::tie(h.check_times, h.offset)) return;
    pending_.erase(other);
    mine.erase(other);
  }
  pending_.emplace(h.offset, h);
  mine.insert(h.offset);
}

void TransactionService::remove_pending(int64_t offset) {
  auto it = pending_.find(offset);
  if (it == pending_.end()) return;
  auto t = pending_txns_.find(it->second.txn);
  if (t != pending_txns_.end()) {
    t->second.erase(offset);
    if (t->second.empty()) pending_txns_.erase(t);
  }
  pending_.erase(it);
}

std::vector<int64_t> TransactionService::pending_of(const std::string& txn) const {
  auto it = pending_txns_.find(txn);
  if (it == pending_txns_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void TransactionService::resolve(const std::string& txn, Outcome outcome, const std::vector<int64_t>& offsets) {
  int64_t max_offset = -1;
  if (auto old = resolved_.find(txn); old != resolved_.end()) max_offset = old->second.max_offset;
  for (int64_t off : offsets) max_offset = std::max(max_offset, off);
  for (int64_t off : pending_of(txn)) max_offset = std::max(max_offset, off);
  resolved_[txn] = Resolved{outcome, rt_.now(), max_offset};
  for (int64_t off : offsets) {
    remove_pending(off);
    if (off >= check_offset_) done_offsets_.insert(off);
  }
  for (int64_t off : pending_of(txn)) {  // none expected: every pending half of it was named
    remove_pending(off);
    if (off >= check_offset_) done_offsets_.insert(off);
  }
  switch (outcome) {
    case Outcome::commit: ++stats_.committed; break;
    case Outcome::rollback: ++stats_.rolled_back; break;
    case Outcome::discarded: ++stats_.discarded; break;
    case Outcome::done: break;
  }
}

StoredMessage TransactionService::op_record(int64_t half_offset) const {
  StoredMessage op;
  op.topic = common::kTransOpHalfTopic;
  op.queue_id = kHalfQueueId;
  op.born_timestamp = rt_.wall_ms();
  op.born_host = common::parse_host_port4(cfg_.store.store_host).value_or(common::HostPort4{});
  const std::string body = std::to_string(half_offset);
  op.body.assign(reinterpret_cast<const std::byte*>(body.data()),
                 reinterpret_cast<const std::byte*>(body.data()) + body.size());
  op.properties = common::encode_properties({{common::kPropTags, common::kTransOpRemoveTag}, {common::kPropWait, "false"}});
  return op;
}

rt::Result<void> TransactionService::write_ops(const std::vector<int64_t>& half_offsets) {
  if (half_offsets.empty()) return {};
  std::vector<StoredMessage> ops;
  for (int64_t off : half_offsets) ops.push_back(op_record(off));
  auto r = store_.put_batch(std::move(ops));
  if (!stored(r))
    return rt::Error(rt::Errc::io_error, fmt::format("op records not stored: {}: {}", store::to_string(r.status), r.detail));
  for (int64_t off : half_offsets)
    if (off >= check_offset_) done_offsets_.insert(off);
  return {};
}

rt::Result<std::vector<store::CqUnit>> TransactionService::next_units(const char* topic, int64_t& scan) {
  auto units = store_.units(topic, kHalfQueueId, scan, kUnitsPerRead);
  const int64_t min = store_.min_offset(topic, kHalfQueueId);
  if (!units && units.error().code() == rt::Errc::not_found && scan < min) {
    rt_.log(rt::LogLevel::warn, fmt::format("transactions: {} offset {} aged out; going on from {}", topic, scan, min));
    scan = min;
    return store_.units(topic, kHalfQueueId, scan, kUnitsPerRead);
  }
  return units;
}

rt::Result<void> TransactionService::ingest() {
  // Op records: which halves are done.
  std::vector<int64_t> repairs;  // pending copies of transactions an op record settled
  for (;;) {
    auto units = next_units(common::kTransOpHalfTopic, op_scan_);
    if (!units) return units.error();
    if (units->empty()) break;
    for (const store::CqUnit& u : *units) {
      auto rec = store_.read_unit(u);
      if (!rec && rec.error().code() != rt::Errc::not_found) return rec.error();  // again next pass
      const int64_t at = op_scan_;
      int64_t half = -1;
      if (rec && rec->message.topic == common::kTransOpHalfTopic) {
        half = common::parse_java_long(std::string_view(reinterpret_cast<const char*>(rec->message.body.data()),
                                                        rec->message.body.size()))
                   .value_or(-1);
      }
      if (half < 0)
        rt_.log(rt::LogLevel::error, fmt::format("transactions: op record {} is unreadable or names no half; ignored",
                                                 at));
      ops_[at] = half;
      op_scan_ = at + 1;
      if (half < check_offset_) continue;
      done_offsets_.insert(half);
      if (auto it = pending_.find(half); it != pending_.end()) {
        const std::string txn = it->second.txn;
        remove_pending(half);
        for (int64_t other : pending_of(txn)) repairs.push_back(other);
        resolve(txn, Outcome::done, {});
      }
    }
  }
  // Halves: what is pending.
  for (;;) {
    if (pending_.size() >= kPendingMax) break;
    auto units = next_units(common::kTransHalfTopic, half_scan_);
    if (!units) return units.error();
    if (units->empty()) break;
    for (const store::CqUnit& u : *units) {
      auto rec = store_.read_unit(u);
      if (!rec && rec.error().code() != rt::Errc::not_found) {
        if (auto w = write_ops(repairs); !w) return w;
        return rec.error();  // a read error: this half again next pass
      }
      const int64_t at = half_scan_;
      half_scan_ = at + 1;
      if (!rec || rec->message.topic != common::kTransHalfTopic || rec->message.queue_offset != at) {
        rt_.log(rt::LogLevel::error, fmt::format("transactions: half message {} is unreadable ({}); skipped", at,
                                                 rec ? "not a half message" : rec.error().message()));
        continue;
      }
      Half h = half_of(rec->message);
      if (pending_.count(at)) continue;  // a check copy, known since it was made
      if (done_offsets_.count(at)) {
        // Settled; so are the earlier halves of its transaction (the ones
        // its check copies stood for).
        for (int64_t other : pending_of(h.txn)) repairs.push_back(other);
        if (!resolved_.count(h.txn)) resolve(h.txn, Outcome::done, pending_of(h.txn));
      } else if (auto r = resolved_.find(h.txn); r != resolved_.end() && !new_transaction(h, r->second)) {
        repairs.push_back(at);  // another half of a settled transaction
      } else {
        if (r != resolved_.end()) resolved_.erase(r);  // the producer reused the message: a new transaction
        add_pending(h);
      }
    }
  }
  return write_ops(repairs);
}

bool TransactionService::new_transaction(const Half& h, const Resolved& settled) {
  // The broker's own check copies carry TRANSACTION_CHECK_TIMES; a producer's
  // half stored after the settled ones is the message sent again, as a new
  // transaction (Java keeps a reused Message's UNIQ_KEY). A producer's retry
  // of the same send lies below the half its END_TRANSACTION named.
  return h.check_times == 0 && h.offset > settled.max_offset;
}

void TransactionService::advance_offsets() {
  check_offset_ = half_scan_;
  if (!pending_.empty()) check_offset_ = std::min(check_offset_, pending_.begin()->first);
  done_offsets_.erase(done_offsets_.begin(), done_offsets_.lower_bound(check_offset_));
  while (op_check_offset_ < op_scan_) {
    auto it = ops_.find(op_check_offset_);
    if (it != ops_.end() && it->second >= check_offset_) break;
    if (it != ops_.end()) ops_.erase(it);
    ++op_check_offset_;
  }
  offsets_.commit(common::kTransactionCheckGroup, common::kTransHalfTopic, kHalfQueueId, check_offset_);
  offsets_.commit(common::kTransactionCheckGroup, common::kTransOpHalfTopic, kHalfQueueId, op_check_offset_);
  // Forget settled transactions once no half of theirs can come up again.
  const rt::Duration keep = std::max<rt::Duration>(2 * cfg_.transaction_check_interval, kResolvedKeptMin);
  const rt::Instant now = rt_.now();
  std::erase_if(resolved_, [&](const auto& kv) { return now - kv.second.at > keep && !pending_txns_.count(kv.first); });
}

rt::Result<void> TransactionService::repair_committed() {
  if (!cfg_.store.message_index_enable) return {};
  // A crash between a commit's append and its op record reaching the disk
  // leaves the committed message without the op record (a torn tail can cut
  // one append in two): find it through the index by UNIQ_KEY.
  std::map<std::string, Half> firsts;  // txn -> its pending half
  for (const auto& [off, h] : pending_)
    if (!h.uniq.empty() && !h.real_topic.empty()) firsts.emplace(h.txn, h);
  int repaired = 0;
  for (const auto& entry : firsts) {
    const std::string& txn = entry.first;
    const Half& h = entry.second;  // named: lambdas may not capture structured bindings (Clang 14)
    auto found = store_.query_by_key(h.real_topic, h.uniq, 32, common::sat_sub(h.store_ms, 1000), INT64_MAX);
    if (!found) return found.error();
    // Committed from this transaction's halves: at or after its first one.
    const bool committed = std::any_of(found->begin(), found->end(), [&](const store::StoredRecord& r) {
      const auto p = common::decode_properties(r.message.properties);
      auto g = p.find(common::kPropProducerGroup);
      return (r.message.sys_flag & common::kSysFlagTransactionMask) == common::kSysFlagTransactionCommit &&
             g != p.end() && g->second == h.group && r.message.store_timestamp >= h.store_ms;
    });
    if (!committed) continue;
    const std::vector<int64_t> offsets = pending_of(txn);
    if (auto w = write_ops(offsets); !w) return w;
    resolve(txn, Outcome::commit, offsets);
    ++repaired;
  }
  if (repaired > 0)
    rt_.log(rt::LogLevel::warn, fmt::format("transactions: {} committed transaction(s) had lost their op record; "
                                            "written again",
                                            repaired));
  return {};
}

rt::Result<void> TransactionService::load() {
  const auto start_of = [&](const char* topic) {
    const int64_t min = store_.min_offset(topic, kHalfQueueId);
    const int64_t max = store_.max_offset(topic, kHalfQueueId);
    const int64_t saved = offsets_.query(common::kTransactionCheckGroup, topic, kHalfQueueId).value_or(min);
    return std::clamp(saved, min, std::max(min, max));
  };
  check_offset_ = half_scan_ = start_of(common::kTransHalfTopic);
  op_check_offset_ = op_scan_ = start_of(common::kTransOpHalfTopic);
  if (auto r = ingest(); !r) return r;
  if (auto r = repair_committed(); !r) return r;
  advance_offsets();
  if (!pending_.empty())
    rt_.log(rt::LogLevel::info, fmt::format("transactions: {} half message(s) pending from half offset {}",
                                            pending_.size(), check_offset_));
  return {};
}

void TransactionService::start() {
  RMQ_ASSERT(!started_);
  started_ = true;
  tasks_.push_back(rt_.spawn("broker-transactions", [this] { checker_loop(); }));
}

void TransactionService::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  checks_.stop();
}

TransactionService::Stats TransactionService::stats() const {
  Stats s = stats_;
  s.pending = static_cast<int64_t>(pending_.size());
  s.check_offset = check_offset_;
  return s;
}

// ---------------------------------------------------------------------------
// END_TRANSACTION

TransactionService::Answer TransactionService::end(const remoting::EndTransactionRequestHeader& h,
                                                   const std::string& peer) {
  if (h.commit_or_rollback == remoting::kTransactionNotType) {
    rt_.log(rt::LogLevel::info,
            fmt::format("transactions: producer {} of {} left transaction {} unknown{}; it will be checked", peer,
                        h.producer_group, h.msg_id, h.from_transaction_check ? " when checked" : ""));
    return {rs::kSuccess, ""};
  }
  auto rec = store_.read_at(h.commit_log_offset);
  if (!rec || rec->message.topic != common::kTransHalfTopic)
    return {rs::kSystemError, "Find prepared transaction message failed"};
  const StoredMessage& half = rec->message;
  const MessageProperties props = common::decode_properties(half.properties);
  if (common::property_value(props, common::kPropProducerGroup) != h.producer_group) return {rs::kSystemError, "The producer group wrong"};
  if (half.queue_offset != h.tran_state_table_offset)
    return {rs::kSystemError, "The transaction state table offset wrong"};
  if (half.physical_offset != h.commit_log_offset) return {rs::kSystemError, "The commit log offset wrong"};
  const std::string txn =
      transaction_id(h.producer_group, common::property_value(props, common::kPropUniqKey), half.queue_offset);
  // Another END of this transaction is being stored: wait for its outcome.
  if (!wait_until_ended(txn)) return {rs::kSystemError, "transaction " + txn + " is being ended; try again"};
  return commit_or_rollback(h, half, txn, peer);
}

TransactionService::Answer TransactionService::commit_or_rollback(const remoting::EndTransactionRequestHeader& h,
                                                                  const StoredMessage& half, const std::string& txn,
                                                                  const std::string& peer) {
  bool commit = h.commit_or_rollback == remoting::kTransactionCommitType;
  if constexpr (common::canary::broker_tx_check_rollback_commits)
    commit = commit || h.from_transaction_check;
  if (auto r = resolved_.find(txn); r != resolved_.end() && new_transaction(half_of(half), r->second)) {
    resolved_.erase(r);  // the producer reused the message: a new transaction
  }
  if (auto r = resolved_.find(txn); r != resolved_.end()) {
    const Outcome o = r->second.outcome;
    if (o == Outcome::done || (o == Outcome::commit) == commit) return {rs::kSuccess, ""};
    const char* was = o == Outcome::commit ? "committed" : o == Outcome::rollback ? "rolled back" : "given up";
    return {rs::kSystemError, fmt::format("transaction {} was already {}; {} ignored", txn, was,
                                          to_string_outcome(h.commit_or_rollback))};
  }
  std::vector<int64_t> offsets = pending_of(txn);
  if (offsets.empty() && h.tran_state_table_offset < half_scan_)
    return {rs::kSystemError,
            fmt::format("transaction {} is no longer pending (settled, or given up after {} checks)", txn,
                        cfg_.transaction_check_max)};
  if (std::find(offsets.begin(), offsets.end(), h.tran_state_table_offset) == offsets.end())
    offsets.push_back(h.tran_state_table_offset);

  std::vector<StoredMessage> records;
  if (commit) {
    MessageProperties props = common::decode_properties(half.properties);
    const std::string topic = common::property_value(props, common::kPropRealTopic);
    auto queue_id = common::parse_java_int(common::property_value(props, common::kPropRealQueueId));
    if (!common::valid_topic_name(topic) || !queue_id || *queue_id < 0)
      return {rs::kSystemError, "the half message has no valid REAL_TOPIC/REAL_QID"};
    StoredMessage m = half;
    m.topic = topic;
    m.queue_id = *queue_id;
    m.sys_flag = (half.sys_flag & ~common::kSysFlagTransactionMask) | common::kSysFlagTransactionCommit;
    m.prepared_transaction_offset = h.commit_log_offset;
    props.erase(common::kPropRealTopic);
    props.erase(common::kPropRealQueueId);
    props.erase(common::kPropTransactionPrepared);
    props[common::kPropWait] = "false";
    m.properties = common::encode_properties(props);
    records.push_back(std::move(m));
  }
  for (int64_t off : offsets) records.push_back(op_record(off));

  const InFlight ending(*this, txn);
  auto r = store_.put_batch(std::move(records));
  if (!stored(r))
    return {code_for(r.status), fmt::format("transaction {} not {}: {}: {}", txn, commit ? "committed" : "rolled back",
                                            store::to_string(r.status), r.detail)};
  resolve(txn, commit ? Outcome::commit : Outcome::rollback, offsets);
  if (h.from_transaction_check)
    rt_.log(rt::LogLevel::info, fmt::format("transactions: {} {} by producer {} when checked", txn,
                                            commit ? "committed" : "rolled back", peer));
  return {rs::kSuccess, ""};
}

// ---------------------------------------------------------------------------
// Check-back

void TransactionService::checker_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.transaction_check_interval);
    check_now();
  }
}

void TransactionService::check_now() {
  rt::LockGuard one_pass_at_a_time(pass_);
  check_pass();
}

void TransactionService::check_pass() {
  if (auto r = ingest(); !r) rt_.log(rt::LogLevel::warn, "transactions: reading the half queue: " + r.error().message());
  const int64_t started_ms = rt_.wall_ms();
  const int64_t reserved_ms = cfg_.store.file_reserved_hours * 3'600'000;
  int checks = 0;
  std::vector<int64_t> snapshot;
  for (const auto& [off, h] : pending_) snapshot.push_back(off);
  for (int64_t off : snapshot) {
    // Every step below may suspend: take the half as it is now.
    auto it = pending_.find(off);
    if (it == pending_.end()) continue;
    const Half h = it->second;
    if (in_flight_.count(h.txn)) continue;
    const int64_t now = rt_.wall_ms();
    const int64_t born = std::min(h.born_ms, h.store_ms);  // a producer clock ahead of ours
    if (h.check_times >= cfg_.transaction_check_max) {
      discard(h, fmt::format("checked {} times", h.check_times));
      continue;
    }
    if (common::sat_sub(now, h.born_ms) > reserved_ms) {
      discard(h, fmt::format("born more than {} h ago", cfg_.store.file_reserved_hours));
      continue;
    }
    if (h.store_ms >= started_ms) break;  // stored during this pass: the next one looks at it
    const int64_t immunity =
        h.immunity_ms >= 0 ? h.immunity_ms
                           : std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.transaction_timeout).count();
    if (common::sat_sub(now, born) < immunity) continue;
    if (checks++ >= kChecksPerPassMax) break;
    check_one(h);
  }
  advance_offsets();
}

void TransactionService::check_one(const Half& h) {
  auto rec = store_.read_unit(store::CqUnit{h.phys, h.size, 0});
  if (!rec) {
    rt_.log(rt::LogLevel::error, fmt::format("transactions: half {} of {} unreadable: {}", h.offset, h.txn,
                                             rec.error().message()));
    if (rec.error().code() == rt::Errc::not_found) remove_pending(h.offset);
    return;
  }
  if (!pending_.count(h.offset) || resolved_.count(h.txn) || in_flight_.count(h.txn)) return;
  // The copy the producer is asked about, one more check counted.
  StoredMessage copy = rec->message;
  MessageProperties props = common::decode_properties(copy.properties);
  props[common::kPropTransactionCheckTimes] = std::to_string(h.check_times + 1);
  props[common::kPropWait] = "false";
  copy.properties = common::encode_properties(props);
  copy.topic = common::kTransHalfTopic;
  copy.queue_id = kHalfQueueId;
  auto r = store_.put(copy);
  if (r.status == store::PutStatus::properties_size_exceeded || r.status == store::PutStatus::message_illegal) {
    discard(h, fmt::format("its check copy cannot be stored: {}", r.detail), /*copy=*/false);
    return;
  }
  if (!stored(r)) {
    rt_.log(rt::LogLevel::warn, fmt::format("transactions: re-appending half {} for a check failed: {}: {}", h.offset,
                                            store::to_string(r.status), r.detail));
    return;
  }
  // An END of this transaction that began while the copy was stored: its
  // outcome decides what the copy is.
  (void)wait_until_ended(h.txn);
  Half c = h;
  c.offset = r.queue_offset;
  c.phys = r.physical_offset;
  c.size = r.bytes;
  c.store_ms = r.store_timestamp;
  c.check_times = h.check_times + 1;
  if (resolved_.count(h.txn) || !pending_.count(h.offset)) {
    // Its END came while the copy was stored: the copy is settled too.
    if (auto w = write_ops({c.offset}); !w) rt_.log(rt::LogLevel::warn, "transactions: " + w.error().message());
    return;
  }
  remove_pending(h.offset);
  add_pending(c);
  copy.queue_offset = c.offset;
  copy.physical_offset = c.phys;
  copy.store_timestamp = c.store_ms;
  send_check(c, copy);
}

void TransactionService::send_check(const Half& c, const StoredMessage& copy) {
  std::vector<remoting::ConnectionPtr> conns;
  if (const auto* chans = clients_.producer_group(c.group))
    for (const auto& [id, ch] : *chans)
      if (ch.conn && !ch.conn->closed()) conns.push_back(ch.conn);
  if (conns.empty()) {
    rt_.log(rt::LogLevel::warn,
            fmt::format("transactions: no producer of group {} is connected to check transaction {} (check {} of {})",
                        c.group, c.txn, c.check_times, cfg_.transaction_check_max));
    return;
  }
  remoting::ConnectionPtr conn = conns[next_producer_++ % conns.size()];
  // The body is the half message as its producer sent it: real topic and
  // queue, at the copy's offsets.
  StoredMessage body = copy;
  const MessageProperties props = common::decode_properties(copy.properties);
  body.topic = c.real_topic;
  body.queue_id = common::parse_java_int(common::property_value(props, common::kPropRealQueueId)).value_or(0);
  if (!common::valid_topic_name(body.topic)) {
    rt_.log(rt::LogLevel::error, fmt::format("transactions: half {} has no valid REAL_TOPIC; not checked", c.offset));
    return;
  }
  auto req = remoting::RemotingCommand::request(rc::kCheckTransactionState);
  remoting::CheckTransactionStateRequestHeader hdr;
  hdr.tran_state_table_offset = c.offset;
  hdr.commit_log_offset = c.phys;
  if (!c.uniq.empty()) {
    hdr.msg_id = c.uniq;
    hdr.transaction_id = c.uniq;
  }
  hdr.offset_msg_id = common::offset_msg_id(copy.store_host, c.phys);
  hdr.encode(req);
  common::encode_stored(body, req.body);
  // In a task of its own: a slow producer does not hold up the pass.
  const bool started = checks_.spawn("broker-check-transaction", [conn, req = std::move(req)]() mutable {
    (void)conn->invoke_oneway(std::move(req));
  });
  if (!started) {
    rt_.log(rt::LogLevel::warn, fmt::format("transactions: {} checks still in flight; half {} not checked this pass",
                                            kChecksInFlightMax, c.offset));
    return;
  }
  ++stats_.checks_sent;
}

void TransactionService::discard(const Half& h, const std::string& why, bool copy) {
  std::optional<StoredMessage> aside;
  if (copy) {
    auto rec = store_.read_unit(store::CqUnit{h.phys, h.size, 0});
    if (!rec) {
      if (rec.error().code() == rt::Errc::not_found) remove_pending(h.offset);
      return;
    }
    auto topic = topics_.ensure(common::kTransCheckMaxTimeTopic, 1, kPermRead | kPermWrite);
    if (!topic) {
      rt_.log(rt::LogLevel::warn, "transactions: " + topic.error().message());
      return;
    }
    aside = rec->message;
    MessageProperties props = common::decode_properties(aside->properties);
    props[common::kPropWait] = "false";
    aside->properties = common::encode_properties(props);
    aside->topic = common::kTransCheckMaxTimeTopic;
    aside->queue_id = 0;
  }
  if (!pending_.count(h.offset) || resolved_.count(h.txn) || in_flight_.count(h.txn)) return;
  // Giving up ends the transaction: an END arriving meanwhile waits for it.
  const InFlight ending(*this, h.txn);
  std::vector<int64_t> offsets = pending_of(h.txn);
  std::vector<StoredMessage> records;
  if (aside) records.push_back(std::move(*aside));
  for (int64_t off : offsets) records.push_back(op_record(off));
  auto r = store_.put_batch(std::move(records));
  if (!stored(r)) {
    rt_.log(rt::LogLevel::warn, fmt::format("transactions: giving up transaction {} failed: {}: {}", h.txn,
                                            store::to_string(r.status), r.detail));
    return;
  }
  resolve(h.txn, Outcome::discarded, offsets);
  rt_.log(rt::LogLevel::warn,
          fmt::format("transactions: transaction {} of producer group {} for topic {} given up ({}){}", h.uniq,
                      h.group, h.real_topic, why, copy ? std::string("; moved to ") + common::kTransCheckMaxTimeTopic
                                                       : std::string()));
}

}  // namespace rmq::broker
