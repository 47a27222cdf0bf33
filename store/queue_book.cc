#include "store/queue_book.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/java_hash.h"
#include "common/message_const.h"
#include "common/numbers.h"
#include "store/delay_levels.h"

namespace rmq::store {

using common::StoredMessage;

int64_t tags_code(std::string_view tags) {
  if (tags.empty()) return 0;
  return static_cast<int64_t>(common::java_string_hash(tags));
}

int64_t QueueBook::unit_tags_code(const StoredMessage& m) const {
  if (m.topic == common::kScheduleTopic) {
    // Parked for a delay level: the unit carries the delivery time.
    auto level = common::parse_java_int(common::find_property(m.properties, common::kPropDelay));
    if (level && *level > 0 && !cfg_.delay_level_ms.empty())
      return deliver_timestamp(cfg_.delay_level_ms, clamp_delay_level(cfg_.delay_level_ms, *level), m.store_timestamp);
  }
  return tags_code(common::find_property(m.properties, common::kPropTags));
}

ConsumeQueue& QueueBook::queue_for(const std::string& topic, int32_t queue_id) {
  auto& slot = queues_[topic][queue_id];
  if (!slot) slot = std::make_unique<ConsumeQueue>(rt_, cfg_.root_dir, topic, queue_id, cfg_.consume_queue_units_per_file);
  return *slot;
}

ConsumeQueue* QueueBook::find_queue(const std::string& topic, int32_t queue_id) const {
  auto t = queues_.find(topic);
  if (t == queues_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : q->second.get();
}

rt::Result<IndexFile*> QueueBook::writable_index(int64_t wall_ms) {
  if (!index_files_.empty() && !index_files_.back()->full()) return index_files_.back().get();
  const std::string dir = cfg_.root_dir + "/index";
  std::string name = index_file_name(wall_ms);
  if (!index_files_.empty()) {
    // Names must sort after the previous file's even if the clock went back.
    const std::string& prev = index_files_.back()->path();
    const std::string prev_name = prev.substr(prev.rfind('/') + 1);
    if (name <= prev_name) {
      int64_t v = std::stoll(prev_name) + 1;
      name = fmt::format("{:017d}", v);
    }
  }
  const std::string path = dir + "/" + name;
  auto f = IndexFile::create(rt_.fs(), path, cfg_.max_hash_slot_num, cfg_.max_index_num);
  // A file not taken into the list goes (a full disk's retry would leave one
  // per attempt, and a later attempt may pick the same name).
  if (!f) {
    if (f.error().code() != rt::Errc::already_exists) (void)rt_.fs().remove(path);
    return f.error();
  }
  if (auto r = rt_.fs().sync_dir(dir); !r) {
    f->reset();
    (void)rt_.fs().remove(path);
    return r.error();
  }
  index_files_.push_back(std::move(*f));
  return index_files_.back().get();
}

bool QueueBook::dispatch_record(const StoredMessage& m, int64_t offset, uint32_t size, DispatchMode mode) {
  bool consistent = true;
  if (mode != DispatchMode::index_only && common::takes_queue_slot(m.sys_flag)) {
    ConsumeQueue& q = queue_for(m.topic, m.queue_id);
    // Recovery may start a queue anywhere (its earlier records aged out), and
    // so may a replica (its master's stream began after them);
    // otherwise units must follow each other.
    if (q.appended_offset() == m.queue_offset || ((mode != DispatchMode::live || cfg_.replica) && q.empty())) {
      q.append(m.queue_offset,
               CqUnit{offset, static_cast<int32_t>(size), unit_tags_code(m)});
      grown_[{m.topic, m.queue_id}] = q.appended_offset();
      auto& next = next_offset_[key(m.topic, m.queue_id)];
      if (mode != DispatchMode::live) next = std::max(next, m.queue_offset + 1);
    } else {
      consistent = false;
    }
    last_dispatched_timestamp_ = m.store_timestamp;
  }
  if (cfg_.message_index_enable && mode != DispatchMode::queues_only &&
      (m.sys_flag & common::kSysFlagTransactionMask) != common::kSysFlagTransactionRollback) {
    std::vector<std::string_view> keys;
    if (auto u = common::find_property(m.properties, common::kPropUniqKey); !u.empty()) keys.push_back(u);
    std::string_view ks = common::find_property(m.properties, common::kPropKeys);
    while (!ks.empty()) {
      const size_t sp = ks.find(' ');
      if (sp != 0) keys.push_back(ks.substr(0, sp));
      if (sp == std::string_view::npos) break;
      ks.remove_prefix(sp + 1);
    }
    for (auto k : keys) {
      // Files are created by write_dispatched(); here only in memory.
      pending_index_.push_back(PendingIndex{index_key_hash(m.topic + "#" + std::string(k)), offset, m.store_timestamp});
    }
  }
  return consistent;
}

rt::Result<void> QueueBook::write_dispatched(bool all_index) {
  rt::LockGuard index_guard(index_mu_);
  for (size_t i = 0; i < pending_index_.size(); ++i) {
    // On a failure the entries already put stay put, the rest pending (a
    // retry after a full disk neither loses nor repeats one).
    auto done_through = [&](size_t n) {
      pending_index_.erase(pending_index_.begin(), pending_index_.begin() + static_cast<std::ptrdiff_t>(n));
    };
    const PendingIndex& p = pending_index_[i];
    auto f = writable_index(rt_.wall_ms());
    if (!f) {
      done_through(i);
      return f.error();
    }
    (*f)->put(p.key_hash, p.phy_offset, p.store_timestamp);
    if ((*f)->full()) {
      if (auto r = (*f)->write_pending(); !r) {
        done_through(i + 1);
        return r;
      }
    }
  }
  pending_index_.clear();
  for (auto& [topic, qs] : queues_)
    for (auto& [qid, q] : qs)
      if (q->has_pending())
        if (auto r = q->write_pending(); !r) return r;
  for (auto& f : index_files_)
    if (f->pending_entries() >= (all_index ? 1 : kIndexWriteBatch))
      if (auto r = f->write_pending(); !r) return r;
  return {};
}

rt::Result<void> QueueBook::sync_all() {
  // A sync that failed for lack of space is never retried as if the disk
  // were merely full: the kernel may have dropped the pages it could not
  // write (io_error fails the store). Other errors (cancelled) pass as they are.
  auto sync_failed = [](const rt::Error& e) {
    return e.code() == rt::Errc::no_space ? rt::Error(rt::Errc::io_error, "sync: " + e.message()) : e;
  };
  for (auto& [topic, qs] : queues_)
    for (auto& [qid, q] : qs)
      if (q->unsynced())
        if (auto r = q->sync(); !r) return sync_failed(r.error());
  {
    rt::LockGuard index_guard(index_mu_);
    for (auto& f : index_files_)
      if (f->has_pending())
        if (auto r = f->write_pending(); !r) return r;
  }
  const std::vector<std::shared_ptr<IndexFile>> index_files = index_files_;  // may change while a sync waits
  for (const auto& f : index_files)
    if (auto r = f->sync(); !r) return sync_failed(r.error());
  return {};
}

std::map<std::pair<std::string, int32_t>, int64_t> QueueBook::take_grown() {
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  out.swap(grown_);
  return out;
}

void QueueBook::raise_queue_offsets() {
  for (auto& [topic, qs] : queues_) {
    for (auto& [qid, q] : qs) {
      auto& next = next_offset_[key(topic, qid)];
      next = std::max(next, q->appended_offset());
    }
  }
}

}  // namespace rmq::store
