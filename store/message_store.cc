#include "store/message_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/atomic_file.h"
#include "common/big_endian.h"
#include "common/canary/store_sync_ack_early.h"
#include "common/java_hash.h"
#include "common/message_const.h"
#include "common/numbers.h"
#include "runtime/assert.h"
#include "store/delay_levels.h"

namespace rmq::store {

using common::StoredMessage;

namespace {

constexpr int kMaxSegmentsPerClean = 10;
constexpr int kRecordReadAttemptsMax = 3;

std::string queue_key(const std::string& topic, int32_t queue_id) { return topic + "-" + std::to_string(queue_id); }

bool hour_listed(std::string_view delete_when, int hour) {
  while (!delete_when.empty()) {
    const size_t semi = delete_when.find(';');
    const std::string_view h = delete_when.substr(0, semi);
    int v = -1;
    if (h.size() == 1 && h[0] >= '0' && h[0] <= '9') v = h[0] - '0';
    if (h.size() == 2 && h[0] >= '0' && h[0] <= '9' && h[1] >= '0' && h[1] <= '9') v = (h[0] - '0') * 10 + (h[1] - '0');
    if (v == hour) return true;
    if (semi == std::string_view::npos) break;
    delete_when.remove_prefix(semi + 1);
  }
  return false;
}

}  // namespace

std::string_view to_string(PutStatus s) {
  switch (s) {
    case PutStatus::put_ok: return "PUT_OK";
    case PutStatus::flush_disk_timeout: return "FLUSH_DISK_TIMEOUT";
    case PutStatus::service_not_available: return "SERVICE_NOT_AVAILABLE";
    case PutStatus::message_illegal: return "MESSAGE_ILLEGAL";
    case PutStatus::properties_size_exceeded: return "PROPERTIES_SIZE_EXCEEDED";
    case PutStatus::os_page_cache_busy: return "OS_PAGE_CACHE_BUSY";
    case PutStatus::flush_slave_timeout: return "FLUSH_SLAVE_TIMEOUT";
    case PutStatus::slave_not_available: return "SLAVE_NOT_AVAILABLE";
  }
  RMQ_UNREACHABLE("bad enum value");
}

std::string_view to_string(GetStatus s) {
  switch (s) {
    case GetStatus::found: return "FOUND";
    case GetStatus::no_matched_message: return "NO_MATCHED_MESSAGE";
    case GetStatus::message_was_removing: return "MESSAGE_WAS_REMOVING";
    case GetStatus::offset_found_null: return "OFFSET_FOUND_NULL";
    case GetStatus::offset_overflow_badly: return "OFFSET_OVERFLOW_BADLY";
    case GetStatus::offset_overflow_one: return "OFFSET_OVERFLOW_ONE";
    case GetStatus::offset_too_small: return "OFFSET_TOO_SMALL";
    case GetStatus::no_matched_logic_queue: return "NO_MATCHED_LOGIC_QUEUE";
    case GetStatus::no_message_in_queue: return "NO_MESSAGE_IN_QUEUE";
  }
  RMQ_UNREACHABLE("bad enum value");
}

std::string_view to_string(RecoveryRow r) {
  for (const auto& info : kRecoveryTable)
    if (info.row == r) return info.name;
  RMQ_UNREACHABLE("bad enum value");
}

std::string RecoveryReport::summary() const {
  std::string rows_text;
  for (auto r : rows) {
    if (!rows_text.empty()) rows_text += ",";
    rows_text += to_string(r);
  }
  return fmt::format("recovery [{}]: validated from {}, log ends at {}, {} bytes cut, {} records dispatched{}{}",
                     rows_text, scan_from, log_end, truncated_bytes, records_dispatched,
                     problem.empty() ? "" : ": ", problem);
}

int64_t tags_code(std::string_view tags) {
  if (tags.empty()) return 0;
  return static_cast<int64_t>(common::java_string_hash(tags));
}

int64_t MessageStore::unit_tags_code(const StoredMessage& m) const {
  if (m.topic == common::kScheduleTopic) {
    // Parked for a delay level: the unit carries the delivery time.
    auto level = common::parse_java_int(common::find_property(m.properties, common::kPropDelay));
    if (level && *level > 0 && !cfg_.delay_level_ms.empty())
      return deliver_timestamp(cfg_.delay_level_ms, clamp_delay_level(cfg_.delay_level_ms, *level), m.store_timestamp);
  }
  return tags_code(common::find_property(m.properties, common::kPropTags));
}

// ---------------------------------------------------------------------------
// Opening and recovery

MessageStore::MessageStore(rt::Runtime& rt, StoreConfig cfg)
    : rt_(rt),
      cfg_(std::move(cfg)),
      log_(rt, cfg_),
      work_(rt),
      space_(rt),
      dispatchable_(rt),
      dispatched_evt_(rt),
      index_mu_(rt),
      written_evt_(rt) {}

rt::Result<std::unique_ptr<MessageStore>> MessageStore::open(rt::Runtime& rt, StoreConfig cfg) {
  if (cfg.commit_log_segment_bytes < 64 * 1024 || cfg.consume_queue_units_per_file == 0 ||
      cfg.max_hash_slot_num == 0 || cfg.max_index_num < 2)
    return rt::Error(rt::Errc::invalid_argument, "store config: sizes too small");
  std::unique_ptr<MessageStore> s(new MessageStore(rt, std::move(cfg)));
  if (auto r = s->recover(); !r) return r.error();
  rt.log(rt::LogLevel::info, "store " + s->cfg_.root_dir + ": " + s->report_.summary());
  s->start_tasks();
  return s;
}

MessageStore::~MessageStore() { stop_tasks(); }

rt::Result<void> MessageStore::load_consume_queues() {
  const std::string root = cfg_.root_dir + "/consumequeue";
  auto exists = rt_.fs().exists(root);
  if (!exists) return exists.error();
  if (!*exists) return {};
  auto topics = rt_.fs().list(root);
  if (!topics) return topics.error();
  for (const auto& topic : *topics) {
    auto ids = rt_.fs().list(root + "/" + topic);
    if (!ids) continue;  // not a directory
    for (const auto& id : *ids) {
      int32_t qid = 0;
      bool ok = !id.empty() && id.size() <= 6;
      for (char c : id) ok = ok && c >= '0' && c <= '9';
      if (!ok) continue;
      qid = std::stoi(id);
      auto q = std::make_unique<ConsumeQueue>(rt_, cfg_.root_dir, topic, qid, cfg_.consume_queue_units_per_file);
      if (auto r = q->load(); !r) {
        // Rebuildable: start it over.
        rt_.log(rt::LogLevel::warn, "consume queue " + q->dir() + ": " + r.error().message() + "; rebuilding");
        if (auto rm = q->remove_all(); !rm) return rm;
        report_.rows.push_back(RecoveryRow::queues_rebuilt);
      }
      queues_[topic][qid] = std::move(q);
    }
  }
  return {};
}

rt::Result<void> MessageStore::load_index_files(int64_t scan_from, int64_t& index_from) {
  index_from = scan_from;
  const std::string dir = cfg_.root_dir + "/index";
  if (auto r = rt_.fs().create_dirs(dir); !r) return r;
  auto names = rt_.fs().list(dir);
  if (!names) return names.error();
  std::vector<std::string> files;
  for (const auto& n : *names)
    if (n.size() == 17 && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      files.push_back(n);
  // Keep the leading files that were complete before the checkpoint; delete
  // the rest and index again from where the first deleted one began.
  bool rebuilding = false;
  int64_t prev_end = log_.min_offset();
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = dir + "/" + files[i];
    const bool last = i + 1 == files.size();
    if (!rebuilding) {
      auto f = IndexFile::open(rt_.fs(), path, cfg_.max_hash_slot_num, cfg_.max_index_num, last);
      if (f && (*f)->header().end_phy_offset < scan_from) {
        prev_end = (*f)->header().end_phy_offset + 1;
        index_files_.push_back(std::move(*f));
        continue;
      }
      rebuilding = true;
      // Written past the checkpoint: keep what lies before it (the later
      // files begin after this one, so they go).
      if (f && (*f)->header().begin_phy_offset < scan_from) {
        if (auto resume = (*f)->truncate_at(scan_from); resume) {
          index_files_.push_back(std::move(*f));
          index_from = std::min(index_from, *resume);
          report_.rows.push_back(RecoveryRow::index_truncated);
          continue;
        } else {
          rt_.log(rt::LogLevel::warn, "index file " + path + " cannot be cut at the checkpoint (" +
                                          resume.error().message() + "); rebuilding it");
        }
      }
      index_from = std::min(scan_from, f ? (*f)->header().begin_phy_offset : prev_end);
      report_.rows.push_back(RecoveryRow::index_rebuilt);
    }
    if (auto r = rt_.fs().remove(path); !r) return r;
  }
  if (rebuilding) {
    if (auto r = rt_.fs().sync_dir(dir); !r) return r;
  }
  index_from = std::max(index_from, log_.min_offset());
  // The last kept file is not reopened as writable if full; a new one
  // starts at the next put.
  return {};
}

rt::Result<void> MessageStore::recover() {
  auto& fs = rt_.fs();
  // Durable up to the file system's root: a power loss right after the
  // first start must not take the store, acknowledged messages and all.
  if (auto r = common::create_durable_dir(fs, cfg_.root_dir); !r) return r;
  const std::string abort_path = cfg_.root_dir + "/abort";
  auto abort_exists = fs.exists(abort_path);
  if (!abort_exists) return abort_exists.error();
  auto cp = Checkpoint::open(fs, cfg_.root_dir + "/checkpoint");
  if (!cp) return cp.error();
  checkpoint_ = std::move(*cp);
  auto saved = checkpoint_->load();
  if (!saved) return saved.error();

  if (auto r = log_.open_segments(); !r) {
    report_.rows.push_back(RecoveryRow::bad_layout);
    return r;
  }
  if (log_.empty()) {
    if (*saved && (*saved)->flushed_offset > 0) {
      report_.rows.push_back(RecoveryRow::segments_lost);
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("{}/commitlog has no segments but the checkpoint says {} bytes were synced; "
                                   "refusing to start on a store that lost its log",
                                   cfg_.root_dir, (*saved)->flushed_offset));
    }
    report_.rows.push_back(RecoveryRow::fresh);
  }

  int64_t scan_from = log_.min_offset();
  int64_t trusted = log_.min_offset();  // below this, a bad record is corruption
  if (!log_.empty()) {
    if (*saved) {
      report_.rows.push_back(*abort_exists ? RecoveryRow::crash : RecoveryRow::clean_shutdown);
      // The checkpoint may stand at the end of a last segment closed by its
      // blank record: the blank's header is in the file, the rest is not.
      const int64_t last_end = log_.segment_starts().back() + static_cast<int64_t>(log_.segment_bytes());
      const int64_t upper = (*saved)->dispatched_offset == last_end ? last_end : log_.data_end();
      scan_from = std::clamp((*saved)->dispatched_offset, log_.min_offset(), upper);
      trusted = std::max((*saved)->flushed_offset, scan_from);
    } else {
      report_.rows.push_back(RecoveryRow::no_checkpoint);
    }
  }
  // A valid checkpoint position is a record boundary; without one, queues
  // are rebuilt from the log.
  if (auto r = load_consume_queues(); !r) return r;
  bool rebuild_queues = !log_.empty() && !*saved;
  if (!rebuild_queues) {
    for (auto& [topic, qs] : queues_) {
      for (auto& [qid, q] : qs) {
        const int64_t before = q->max_offset();
        if (auto r = q->truncate_below_phys(scan_from); !r) return r;
        if (q->max_offset() != before && !report_.has(RecoveryRow::queue_truncated))
          report_.rows.push_back(RecoveryRow::queue_truncated);
      }
    }
  }
  int64_t index_from = scan_from;
  if (cfg_.message_index_enable) {
    if (auto r = load_index_files(rebuild_queues ? log_.min_offset() : scan_from, index_from); !r) return r;
  }
  const int64_t first = std::min(scan_from, index_from);
  report_.scan_from = first;

  // Validate and re-dispatch.
  if (rebuild_queues) {
    for (auto& [topic, qs] : queues_)
      for (auto& [qid, q] : qs)
        if (auto r = q->remove_all(); !r) return r;
  }
  bool mismatch = false;
  auto on_record = [&](const StoredMessage& m, int64_t offset, uint32_t size) {
    // index_from <= scan_from: below scan_from only the index is rebuilt.
    const DispatchMode mode = offset < scan_from ? DispatchMode::index_only : DispatchMode::recovery_queues_and_index;
    if (!dispatch_record(m, offset, size, mode)) mismatch = true;
    ++report_.records_dispatched;
  };
  auto scanned = log_.scan(first, cfg_.check_crc_on_recover, on_record);
  if (!scanned) return scanned.error();
  const ScanEnd end = *scanned;
  report_.log_end = end.offset;
  if (end.kind != ScanEnd::Kind::end_of_data) {
    report_.problem = fmt::format("at commitlog offset {}: {}", end.offset, end.problem);
    if (end.offset < trusted) {
      report_.rows.push_back(RecoveryRow::corrupt_durable);
      if (!cfg_.truncate_corrupt_commit_log)
        return rt::Error(rt::Errc::io_error,
                         fmt::format("{}/commitlog is corrupt at offset {} (segment {}, position {}): {}; the "
                                     "checkpoint says data up to {} was synced, so this is not a torn tail. "
                                     "Refusing to start; set truncateCorruptCommitLog=true to cut the log there "
                                     "and lose {} bytes",
                                     cfg_.root_dir, end.offset,
                                     segment_file_name(end.offset - end.offset % static_cast<int64_t>(cfg_.commit_log_segment_bytes)),
                                     end.offset % static_cast<int64_t>(cfg_.commit_log_segment_bytes), end.problem,
                                     trusted, log_.data_end() - end.offset));
      rt_.log(rt::LogLevel::error, "store: cutting a corrupt commitlog: " + report_.problem);
    } else {
      report_.rows.push_back(RecoveryRow::torn_tail);
    }
  }
  report_.truncated_bytes = std::max<int64_t>(0, log_.data_end() - end.offset);
  if (end.kind != ScanEnd::Kind::end_of_data || report_.truncated_bytes > 0) {
    if (auto r = log_.truncate_to(end.offset); !r) return r;
  } else {
    log_.set_positions(end.offset);
  }
  // What recovery keeps must be durable before anything is dispatched from
  // it (after a process crash it may still be only in the page cache).
  if (auto r = log_.sync_from(first); !r) return r;

  if (mismatch) {
    // A queue does not line up with the log: rebuild every queue from it.
    report_.rows.push_back(RecoveryRow::queues_rebuilt);
    for (auto& [topic, qs] : queues_)
      for (auto& [qid, q] : qs)
        if (auto r = q->remove_all(); !r) return r;
    next_queue_offset_.clear();
    auto again = log_.scan(log_.min_offset(), false, [&](const StoredMessage& m, int64_t offset, uint32_t size) {
      (void)dispatch_record(m, offset, size, DispatchMode::queues_only);
    });
    if (!again) return again.error();
  }
  if (auto r = write_dispatched(/*all_index=*/true); !r) return r;
  dispatched_ = log_.written();
  grown_.clear();
  for (auto& [topic, qs] : queues_) {
    for (auto& [qid, q] : qs) {
      if (auto r = q->correct_min_offset(log_.min_offset()); !r) return r;
      auto& next = next_queue_offset_[queue_key(topic, qid)];
      next = std::max(next, q->appended_offset());
    }
  }
  if (auto r = flush_queues_and_checkpoint(); !r) return r;
  // From here on the store is running: a crash is an abnormal shutdown.
  auto abort_file = fs.open(abort_path, rt::OpenMode::create);
  if (!abort_file) return abort_file.error();
  return fs.sync_dir(cfg_.root_dir);
}

// ---------------------------------------------------------------------------
// Tasks

void MessageStore::start_tasks() {
  tasks_.push_back(rt_.spawn("store-writer", [this] { writer_loop(); }));
  if (cfg_.flush_disk_type == FlushDiskType::async_flush)
    tasks_.push_back(rt_.spawn("store-flusher", [this] { flusher_loop(); }));
  tasks_.push_back(rt_.spawn("store-dispatcher", [this] { dispatcher_loop(); }));
  tasks_.push_back(rt_.spawn("store-checkpoint", [this] { checkpoint_loop(); }));
  tasks_.push_back(rt_.spawn("store-cleaner", [this] { cleaner_loop(); }));
}

void MessageStore::stop_tasks() {
  // Uncancellable: the tasks use this object, so it outlives them even when
  // the caller is being cancelled (a node crash).
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
}

void MessageStore::fail(const rt::Error& e) {
  if (!failure_) {
    failure_ = e;
    rt_.log(rt::LogLevel::error, "store failed, acknowledging nothing more until reopened: " + e.message());
  }
  release_waiters();
  space_.set();
  dispatched_evt_.set();
  written_evt_.set();
}

void MessageStore::release_waiters() {
  int64_t pos = cfg_.flush_disk_type == FlushDiskType::sync_flush ? log_.synced() : log_.written();
  if constexpr (common::canary::store_sync_ack_early) pos = log_.written();
  while (!waiters_.empty() && (failure_ || waiters_.front().end <= pos)) {
    waiters_.front().done->set();
    waiters_.pop_front();
  }
}

void MessageStore::writer_loop() {
  const bool sync = cfg_.flush_disk_type == FlushDiskType::sync_flush;
  for (;;) {
    if (log_.pending_bytes() == 0) {
      (void)work_.wait();
      work_.reset();
      continue;
    }
    if (failure_) return;
    if (auto r = log_.write_pending(); !r) {
      if (r.error().code() != rt::Errc::no_space) return fail(r.error());
      // A full disk: refuse new puts, keep the pending ones, and try again
      // (what was appended is written at the same offsets once there is room).
      if (!no_space_) rt_.log(rt::LogLevel::error, "store: " + r.error().message() + "; puts refused until there is room");
      no_space_ = true;
      rt_.sleep_for(kNoSpaceRetry);
      continue;
    }
    if (no_space_) rt_.log(rt::LogLevel::info, "store: room on disk again; puts accepted");
    no_space_ = false;
    space_.set();
    written_evt_.set();
    if constexpr (common::canary::store_sync_ack_early) release_waiters();
    if (sync) {
      // Group commit: every put written so far rides on this sync.
      if (auto r = log_.sync_written(); !r) return fail(r.error());
      written_evt_.set();  // replicable() moved
    }
    release_waiters();
    dispatchable_.set();
  }
}

void MessageStore::flusher_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.flush_interval_commit_log);
    if (failure_) return;
    if (log_.synced() < log_.written()) {
      if (auto r = log_.sync_written(); !r) return fail(r.error());
    }
  }
}

void MessageStore::dispatcher_loop() {
  const bool sync = cfg_.flush_disk_type == FlushDiskType::sync_flush;
  for (;;) {
    // Never beyond what the flush type has made safe (RocketMQ #8239).
    const int64_t limit = sync ? log_.synced() : log_.written();
    if (dispatched_ >= limit) {
      (void)dispatchable_.wait();
      dispatchable_.reset();
      continue;
    }
    if (auto r = dispatch_written(limit); !r) return fail(r.error());
  }
}

void MessageStore::checkpoint_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.flush_interval_consume_queue);
    if (failure_) return;
    if (auto r = flush_queues_and_checkpoint(); !r) {
      if (r.error().code() != rt::Errc::no_space) return fail(r.error());
      rt_.log(rt::LogLevel::warn, "store: checkpoint deferred: " + r.error().message());  // the next round retries
    }
  }
}

void MessageStore::cleaner_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.clean_interval);
    if (failure_) return;
    if (auto r = clean_expired(false); !r) rt_.log(rt::LogLevel::warn, "store cleaner: " + r.error().message());
  }
}

// ---------------------------------------------------------------------------
// Dispatch

ConsumeQueue& MessageStore::queue_for(const std::string& topic, int32_t queue_id) {
  auto& slot = queues_[topic][queue_id];
  if (!slot) slot = std::make_unique<ConsumeQueue>(rt_, cfg_.root_dir, topic, queue_id, cfg_.consume_queue_units_per_file);
  return *slot;
}

ConsumeQueue* MessageStore::find_queue(const std::string& topic, int32_t queue_id) const {
  auto t = queues_.find(topic);
  if (t == queues_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : q->second.get();
}

rt::Result<IndexFile*> MessageStore::writable_index(int64_t wall_ms) {
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

bool MessageStore::dispatch_record(const StoredMessage& m, int64_t offset, uint32_t size, DispatchMode mode) {
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
      auto& next = next_queue_offset_[queue_key(m.topic, m.queue_id)];
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

rt::Result<void> MessageStore::write_dispatched(bool all_index) {
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

rt::Result<void> MessageStore::dispatch_written(int64_t limit) {
  auto chunks = log_.take_written(limit);
  // Positions only ever stop at chunk ends: a limit past dispatched_ always
  // frees a chunk (else the dispatcher would spin without suspending).
  RMQ_ASSERT_MSG(!chunks.empty() || limit <= dispatched_, "the written position is not at a chunk end");
  if (chunks.empty()) return {};
  int64_t pos = dispatched_;
  for (const auto& c : chunks) {
    RMQ_ASSERT(c.offset >= pos);
    pos = c.end;
    size_t at = 0;
    while (at < c.data.size()) {
      const int64_t off = c.offset + static_cast<int64_t>(at);
      auto d = common::decode_stored(std::span<const std::byte>(c.data.data() + at, c.data.size() - at),
                                     {.check_crc = false, .expected_physical_offset = off});
      if (d.status == common::RecordStatus::blank) {
        // It stands for the rest of the segment (the chunk's end).
        RMQ_ASSERT(at + kBlankRecordBytes == c.data.size());
        break;
      }
      RMQ_ASSERT_MSG(d.status == common::RecordStatus::ok, "the writer's own bytes do not decode");
      if (!dispatch_record(*d.message, off, d.size, DispatchMode::live))
        return rt::Error(rt::Errc::io_error,
                         fmt::format("dispatch: record at {} has queue offset {} but {}-{} is at {}", off,
                                     d.message->queue_offset, d.message->topic, d.message->queue_id,
                                     queue_for(d.message->topic, d.message->queue_id).appended_offset()));
      at += d.size;
    }
  }
  // A full disk: the records are dispatched in memory; their units and
  // index entries wait until they can be written (their chunks are taken).
  for (;;) {
    auto r = write_dispatched(/*all_index=*/false);
    if (r) break;
    if (r.error().code() != rt::Errc::no_space) return r;
    if (failure_) return *failure_;
    rt_.sleep_for(kNoSpaceRetry);  // cancelled (unwinding) when the store closes
  }
  dispatched_ = pos;
  std::map<std::pair<std::string, int32_t>, int64_t> grown;
  grown.swap(grown_);
  if (arrival_) {
    for (const auto& [q, max] : grown) arrival_(q.first, q.second, max);
  }
  dispatched_evt_.set();
  return {};
}

rt::Result<void> MessageStore::flush_queues_and_checkpoint() {
  // Everything below `dispatched` is written to its queue and index files;
  // once those are synced, recovery may start from there.
  const int64_t covered = std::min(dispatched_, log_.synced());
  const int64_t timestamp = last_dispatched_timestamp_;
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
  CheckpointData d;
  d.physic_msg_timestamp = timestamp;
  d.logics_msg_timestamp = timestamp;
  d.index_msg_timestamp = timestamp;
  d.flushed_offset = log_.synced();
  d.confirm_offset = log_.synced();
  d.dispatched_offset = covered;
  return checkpoint_->store(d);
}

// ---------------------------------------------------------------------------
// Puts

PutResult MessageStore::put(StoredMessage m) {
  std::vector<StoredMessage> ms;
  ms.push_back(std::move(m));
  return append_and_wait(ms);
}

PutResult MessageStore::put_batch(std::vector<StoredMessage> ms) { return append_and_wait(ms); }

PutResult MessageStore::append_and_wait(std::vector<StoredMessage>& ms) {
  PutResult res;
  if (failure_) {
    res.detail = "store failed: " + failure_->message();
    return res;
  }
  if (closing_) {
    res.detail = "store is shutting down";
    return res;
  }
  if (cfg_.replica) {
    res.detail = "the store is a slave's replica: it takes writes only from its master";
    return res;
  }
  if (disk_full_) {
    res.detail = fmt::format("disk full: usage above {}% of {}", cfg_.disk_full_ratio, cfg_.root_dir);
    return res;
  }
  if (no_space_) {
    res.detail = fmt::format("disk full: no space left on {} (the store writes again once there is room)",
                             cfg_.root_dir);
    return res;
  }
  if (ms.empty()) {
    res.status = PutStatus::message_illegal;
    res.detail = "empty batch";
    return res;
  }
  uint64_t total = 0;
  for (auto& m : ms) {
    if (!common::valid_topic_name(m.topic)) {
      res.status = PutStatus::message_illegal;
      res.detail = fmt::format("topic '{}' is empty, longer than {} bytes or has characters outside [%|a-zA-Z0-9_-]",
                               m.topic, common::kTopicBytesMax);
      return res;
    }
    if (m.properties.size() > common::kPropertiesBytesMax) {
      res.status = PutStatus::properties_size_exceeded;
      res.detail = fmt::format("properties of {} bytes exceed {}", m.properties.size(), common::kPropertiesBytesMax);
      return res;
    }
    if (m.body.size() > cfg_.max_message_size) {
      res.status = PutStatus::message_illegal;
      res.detail = fmt::format("body of {} bytes exceeds maxMessageSize {}", m.body.size(), cfg_.max_message_size);
      return res;
    }
    if (m.queue_id < 0 || m.queue_id > kQueueIdMax) {
      res.status = PutStatus::message_illegal;
      res.detail = fmt::format("queue id {} outside 0..{}", m.queue_id, kQueueIdMax);
      return res;
    }
    const uint64_t size = common::stored_size(m);
    if (size > log_.max_record_bytes()) {
      res.status = PutStatus::message_illegal;
      res.detail = fmt::format("record of {} bytes does not fit a commitlog segment", size);
      return res;
    }
    total += size;
  }
  // Back-pressure: wait for the writer to catch up.
  const rt::Instant deadline = rt::deadline_after(rt_.now(), cfg_.sync_flush_timeout);
  while (log_.pending_bytes() > 0 && log_.pending_bytes() + total > cfg_.max_pending_write_bytes) {
    space_.reset();
    if (!space_.wait(deadline - rt_.now())) {
      res.status = PutStatus::os_page_cache_busy;
      res.detail = "the writer is behind by more than maxPendingWriteBytes";
      return res;
    }
    if (failure_) {
      res.detail = "store failed: " + failure_->message();
      return res;
    }
  }
  // Assign offsets and append: no suspension from here to the wait.
  const int64_t now = rt_.wall_ms();
  int64_t end = 0;
  for (size_t i = 0; i < ms.size(); ++i) {
    auto& m = ms[i];
    m.store_timestamp = now;
    if (common::takes_queue_slot(m.sys_flag)) {
      m.queue_offset = next_queue_offset_[queue_key(m.topic, m.queue_id)]++;
    } else {
      m.queue_offset = 0;  // prepared and rollback records take no queue slot
    }
    const int64_t off = log_.append(m);
    const auto size = static_cast<int32_t>(common::stored_size(m));
    end = off + size;
    res.msg_ids.push_back(common::offset_msg_id(m.store_host, off));
    if (i == 0) {
      res.physical_offset = off;
      res.queue_offset = m.queue_offset;
      res.msg_id = res.msg_ids.front();
    }
    res.bytes += size;
  }
  res.message_count = static_cast<int32_t>(ms.size());
  res.store_timestamp = now;
  auto done = std::make_shared<rt::Event>(rt_);
  waiters_.push_back(Waiter{end, done});
  work_.set();
  auto waited = done->wait(cfg_.sync_flush_timeout);
  if (failure_) {
    res.status = PutStatus::service_not_available;
    res.detail = "store failed before the message was durable: " + failure_->message();
    return res;
  }
  if (!waited) {
    res.status = PutStatus::flush_disk_timeout;
    res.detail = fmt::format("not {} within {} ms",
                             cfg_.flush_disk_type == FlushDiskType::sync_flush ? "synced" : "written",
                             std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.sync_flush_timeout).count());
    return res;
  }
  res.status = PutStatus::put_ok;
  return res;
}

rt::Result<void> MessageStore::wait_dispatched(rt::Duration timeout) {
  const rt::Instant deadline = rt::deadline_after(rt_.now(), timeout);
  while (dispatched_ < log_.appended()) {
    if (failure_) return *failure_;
    dispatched_evt_.reset();
    if (auto r = dispatched_evt_.wait(deadline - rt_.now()); !r) return r;
  }
  return {};
}

// ---------------------------------------------------------------------------
// Shutdown

rt::Result<void> MessageStore::close() {
  if (closed_) return {};
  closing_ = true;
  rt::Result<void> result;
  if (!failure_) {
    // Let the writer finish, then make everything durable and dispatched.
    auto waited = wait_dispatched(std::chrono::seconds(30));
    if (waited && log_.synced() < log_.written()) {
      if (auto r = log_.sync_written(); !r) fail(r.error());
    }
    if (!waited) result = waited;
  }
  stop_tasks();
  if (!failure_ && result) {
    if (dispatched_ < log_.synced()) {
      if (auto r = dispatch_written(log_.synced()); !r) result = r;
    }
  }
  if (!failure_ && result) result = flush_queues_and_checkpoint();
  if (!failure_ && result) {
    // Clean: the next open need not suspect anything.
    if (auto r = rt_.fs().remove(cfg_.root_dir + "/abort"); !r) result = r;
    else result = rt_.fs().sync_dir(cfg_.root_dir);
  }
  closed_ = true;
  if (failure_ && result) return *failure_;
  return result;
}

// ---------------------------------------------------------------------------
// Reads

rt::Result<StoredRecord> MessageStore::read_record_checked(int64_t phys, int32_t size, CommitLog::ReadCare care,
                                                           bool* bad_body_crc) {
  // read_record checks the body's CRC (re-reading on a mismatch): a record
  // whole but for it is damage on disk recovery did not look for
  // (checkCRCOnRecover=false), or a flipped bit on every read.
  auto bytes = log_.read_record(phys, static_cast<uint32_t>(size), care, bad_body_crc);
  if (!bytes) return bytes.error();
  auto d = common::decode_stored(*bytes, {.check_crc = false, .expected_physical_offset = phys});
  if (d.status != common::RecordStatus::ok) return rt::Error(rt::Errc::io_error, "record changed while read");
  return StoredRecord{std::move(*bytes), std::move(*d.message)};
}

GetResult MessageStore::get(const std::string& topic, int32_t queue_id, int64_t offset, int32_t max_count,
                            int64_t max_bytes, const TagFilter& filter, Transfer transfer) {
  GetResult res;
  ConsumeQueue* q = find_queue(topic, queue_id);
  if (q == nullptr) {
    res.status = GetStatus::no_matched_logic_queue;
    res.next_begin_offset = 0;
    return res;
  }
  res.min_offset = q->min_offset();
  res.max_offset = q->max_offset();
  if (res.max_offset == 0) {
    res.status = GetStatus::no_message_in_queue;
    res.next_begin_offset = 0;
    return res;
  }
  if (offset < res.min_offset) {
    res.status = GetStatus::offset_too_small;
    res.next_begin_offset = res.min_offset;
    return res;
  }
  if (offset == res.max_offset) {
    res.status = GetStatus::offset_overflow_one;
    res.next_begin_offset = offset;
    return res;
  }
  if (offset > res.max_offset) {
    res.status = GetStatus::offset_overflow_badly;
    res.next_begin_offset = res.min_offset == 0 ? res.min_offset : res.max_offset;
    return res;
  }
  // Units are read a pull's worth at a time: most pulls take every unit
  // they read; filtered or removed ones make it read on, up to scan_units.
  const size_t scan_units = static_cast<size_t>(std::max(max_count, 1)) * 32 + 32;
  const size_t chunk_units = static_cast<size_t>(std::max(max_count, 1)) + 1;
  auto units = q->read(offset, std::min(chunk_units, scan_units));
  if (!units) {
    res.status = GetStatus::offset_found_null;
    const int64_t upf = cfg_.consume_queue_units_per_file;
    res.next_begin_offset = offset - offset % upf + upf;
    return res;
  }
  res.status = GetStatus::no_matched_message;
  int64_t next = offset;
  bool removed = false;
  for (size_t i = 0; i < scan_units; ++i) {
    if (i == units->size()) {
      // A short read ends the queue (or its file); a full one may go on.
      if (i % chunk_units != 0 || static_cast<int32_t>(res.items.size()) >= max_count) break;
      auto more = q->read(offset + static_cast<int64_t>(i), std::min(chunk_units, scan_units - i));
      if (!more || more->empty()) break;
      units->insert(units->end(), more->begin(), more->end());
    }
    CqUnit u = (*units)[i];
    const int64_t logical = offset + static_cast<int64_t>(i);
    if (static_cast<int32_t>(res.items.size()) >= max_count) break;
    if (!res.items.empty() && res.bytes + u.size > max_bytes) break;
    if (!u.valid() || u.phys_offset < log_.min_offset()) {
      removed = true;
      next = logical + 1;
      continue;
    }
    if (filter && !filter(u.tags_code)) {
      next = logical + 1;
      continue;
    }
    if (transfer == Transfer::file) {
      auto slice = log_.slice(u.phys_offset, static_cast<uint32_t>(u.size));
      if (!slice) {
        removed = true;
        next = logical + 1;
        continue;
      }
      auto& ranges = res.ranges;
      if (!ranges.empty() && ranges.back().file == slice->file &&
          ranges.back().offset + ranges.back().length == slice->file_offset)
        ranges.back().length += static_cast<uint64_t>(u.size);
      else
        ranges.push_back({std::move(slice->file), slice->file_offset, static_cast<uint64_t>(u.size)});
    } else {
      // The CRC covers only the body; the unit vouches for the rest. A record
      // that disagrees with its unit is read again, twice over, before it is
      // believed to be gone.
      const auto matches = [&](const StoredRecord& r) {
        return r.message.topic == topic && r.message.queue_id == queue_id && r.message.queue_offset == logical &&
               unit_tags_code(r.message) == u.tags_code;
      };
      auto rec = read_record_checked(u.phys_offset, u.size);
      bool bad_crc = false;
      if (!rec || !matches(*rec))
        rec = read_record_checked(u.phys_offset, u.size, CommitLog::ReadCare::agreed, &bad_crc);
      if (bad_crc) {
        // Read twice over and still damaged: it is so on disk. Skipped, or
        // its consumer would ask for it for ever.
        rt_.log(rt::LogLevel::error, fmt::format("get {}-{}@{}: {}: damaged on disk; skipped", topic, queue_id, logical,
                                                 rec.error().detail()));
        removed = true;
        next = logical + 1;
        continue;
      }
      if (!rec && rec.error().code() != rt::Errc::not_found) {
        rt_.log(rt::LogLevel::error, fmt::format("get {}-{}@{}: {}", topic, queue_id, logical, rec.error().message()));
        break;  // stop here; the consumer retries from this offset
      }
      if (!rec || !matches(*rec)) {
        if (rec)
          rt_.log(rt::LogLevel::error,
                  fmt::format("get {}-{}@{}: the unit points at commitlog {} which holds {}-{}@{}; skipped", topic,
                              queue_id, logical, u.phys_offset, rec->message.topic, rec->message.queue_id,
                              rec->message.queue_offset));
        removed = true;
        next = logical + 1;
        continue;
      }
      res.data.insert(res.data.end(), rec->bytes.begin(), rec->bytes.end());
    }
    res.items.push_back({logical, u.phys_offset, u.size});
    res.bytes += u.size;
    next = logical + 1;
  }
  res.next_begin_offset = next;
  if (!res.items.empty() && cfg_.physical_memory_bytes > 0) {
    // RocketMQ's isSuggestPullingFromSlave: what is left to read no longer
    // fits the share of memory the page cache is expected to hold.
    const auto& last = res.items.back();
    const int64_t behind = log_.written() - (last.physical_offset + last.size);
    res.suggest_pulling_from_slave =
        behind > cfg_.physical_memory_bytes / 100 * cfg_.access_message_in_memory_max_ratio;
  }
  if (!res.items.empty()) {
    res.status = GetStatus::found;
  } else if (removed) {
    res.status = GetStatus::message_was_removing;
  }
  return res;
}

rt::Result<std::vector<CqUnit>> MessageStore::units(const std::string& topic, int32_t queue_id, int64_t from,
                                                    size_t max) {
  ConsumeQueue* q = find_queue(topic, queue_id);
  if (q == nullptr || from >= q->max_offset() || max == 0) return std::vector<CqUnit>{};
  if (from < q->min_offset())
    return rt::Error(rt::Errc::not_found, fmt::format("{}-{}: offset {} is below the queue's minimum {}", topic,
                                                      queue_id, from, q->min_offset()));
  return q->read(from, max);
}

rt::Result<StoredRecord> MessageStore::read_unit(const CqUnit& u) {
  if (!u.valid() || u.phys_offset < log_.min_offset())
    return rt::Error(rt::Errc::not_found, fmt::format("no message at commitlog offset {}", u.phys_offset));
  auto rec = read_record_checked(u.phys_offset, u.size);
  if (!rec && rec.error().code() != rt::Errc::not_found)
    rec = read_record_checked(u.phys_offset, u.size, CommitLog::ReadCare::agreed);
  return rec;
}

rt::Result<StoredRecord> MessageStore::read_at(int64_t physical_offset) {
  const auto none = [&] {
    return rt::Error(rt::Errc::not_found, fmt::format("no message at commitlog offset {}", physical_offset));
  };
  // Whatever a put has acknowledged may be looked up (before the dispatcher
  // indexes it), nothing a crash could still take back.
  const int64_t visible = cfg_.flush_disk_type == FlushDiskType::sync_flush ? log_.synced() : log_.written();
  if (physical_offset < log_.min_offset() || physical_offset >= visible) return none();
  // The size word has no checksum of its own, and nothing else vouches for
  // the properties (keys, tags): every byte is read twice over, and a
  // record that still does not check out is looked at again from its size
  // word on, in case it was the reads that went wrong.
  for (int attempt = 0; attempt < kRecordReadAttemptsMax; ++attempt) {
    std::byte head[4];
    auto n = log_.read(physical_offset, head, CommitLog::ReadCare::agreed);
    if (!n) return n.error();
    if (*n != 4) return none();
    const int32_t size = common::get_i32(head);
    if (size < static_cast<int32_t>(common::kStoredFixedBytes) ||
        static_cast<uint32_t>(size) > common::kStoredRecordBytesMax)
      continue;
    if (auto rec = read_record_checked(physical_offset, size, CommitLog::ReadCare::agreed)) return rec;
  }
  return none();
}

rt::Result<std::vector<StoredRecord>> MessageStore::query_by_key(const std::string& topic, const std::string& key,
                                                                 size_t max, int64_t begin_ms, int64_t end_ms) {
  std::vector<StoredRecord> out;
  std::set<int64_t> seen;
  const int32_t hash = index_key_hash(topic + "#" + key);
  const std::vector<std::shared_ptr<IndexFile>> files = index_files_;  // may change while a lookup reads
  for (auto it = files.rbegin(); it != files.rend() && out.size() < max; ++it) {
    IndexFile& f = **it;
    if (f.header().index_count > 1 && (f.header().end_timestamp < common::sat_sub(begin_ms, 1000) || f.header().begin_timestamp > end_ms))
      continue;
    auto hits = f.lookup(hash, begin_ms, end_ms, max * 4);
    if (!hits) return hits.error();
    for (int64_t phys : *hits) {
      if (out.size() >= max) break;
      if (!seen.insert(phys).second) continue;
      auto rec = read_at(phys);
      if (!rec) continue;  // gone or never there (a stale entry)
      const auto& m = rec->message;
      if (m.topic != topic || !common::has_message_key(m.properties, key) || m.store_timestamp < begin_ms || m.store_timestamp > end_ms) continue;
      out.push_back(std::move(*rec));
    }
  }
  return out;
}

int64_t MessageStore::min_offset(const std::string& topic, int32_t queue_id) const {
  const ConsumeQueue* q = find_queue(topic, queue_id);
  return q ? q->min_offset() : 0;
}

std::map<std::string, int32_t> MessageStore::queue_counts() const {
  std::map<std::string, int32_t> out;
  for (const auto& [topic, queues] : queues_)
    if (!queues.empty()) out[topic] = queues.rbegin()->first + 1;
  return out;
}

int64_t MessageStore::max_offset(const std::string& topic, int32_t queue_id) const {
  const ConsumeQueue* q = find_queue(topic, queue_id);
  return q ? q->max_offset() : 0;
}

rt::Result<int64_t> MessageStore::store_time(const std::string& topic, int32_t queue_id, int64_t offset) {
  ConsumeQueue* q = find_queue(topic, queue_id);
  if (q == nullptr) return rt::Error(rt::Errc::not_found, "no such queue");
  auto units = q->read(offset, 1);
  if (!units) return units.error();
  if (units->empty()) return rt::Error(rt::Errc::not_found, "no unit");
  return log_.store_timestamp_at((*units)[0].phys_offset);
}

rt::Result<int64_t> MessageStore::earliest_store_time(const std::string& topic, int32_t queue_id) {
  return store_time(topic, queue_id, min_offset(topic, queue_id));
}

rt::Result<int64_t> MessageStore::offset_by_time(const std::string& topic, int32_t queue_id, int64_t timestamp_ms) {
  ConsumeQueue* q = find_queue(topic, queue_id);
  if (q == nullptr) return int64_t{0};
  int64_t lo = q->min_offset(), hi = q->max_offset();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    auto ts = store_time(topic, queue_id, mid);
    if (!ts) return ts.error();
    if (*ts < timestamp_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::map<std::string, std::vector<int32_t>> MessageStore::queues() const {
  std::map<std::string, std::vector<int32_t>> out;
  for (const auto& [topic, qs] : queues_)
    for (const auto& [qid, q] : qs) out[topic].push_back(qid);
  return out;
}

// ---------------------------------------------------------------------------
// Admin and retention

rt::Result<void> MessageStore::delete_topic(const std::string& topic) {
  auto it = queues_.find(topic);
  if (it == queues_.end()) return {};
  auto qs = std::move(it->second);
  queues_.erase(it);
  for (auto& [qid, q] : qs) {
    next_queue_offset_.erase(queue_key(topic, qid));
    if (auto r = q->remove_all(); !r) return r;
    (void)rt_.fs().remove(q->dir());
  }
  (void)rt_.fs().remove(cfg_.root_dir + "/consumequeue/" + topic);
  return rt_.fs().sync_dir(cfg_.root_dir + "/consumequeue");
}

rt::Result<int> MessageStore::clean_expired(bool force_expired_now) {
  auto usage = rt_.fs().disk_usage(cfg_.root_dir);
  int ratio = 0;
  if (usage && usage->total_bytes > 0)
    ratio = static_cast<int>((usage->total_bytes - usage->free_bytes) * 100 / usage->total_bytes);
  const bool was_full = disk_full_;
  disk_full_ = ratio >= cfg_.disk_full_ratio;
  if (disk_full_ != was_full)
    rt_.log(disk_full_ ? rt::LogLevel::error : rt::LogLevel::info,
            fmt::format("store: disk usage {}% {} the full mark {}%; puts {}", ratio, disk_full_ ? "reached" : "below",
                        cfg_.disk_full_ratio, disk_full_ ? "refused" : "accepted again"));
  const int64_t now = rt_.wall_ms();
  const int hour = static_cast<int>((now / 3'600'000) % 24);
  const bool at_delete_hour = hour_listed(cfg_.delete_when, hour);
  const bool space_low = ratio >= cfg_.disk_max_used_space_ratio;
  const bool forcibly = ratio >= cfg_.disk_clean_forcibly_ratio;
  if (!(at_delete_hour || space_low || force_expired_now)) return 0;
  const int64_t reserved_ms = cfg_.file_reserved_hours * 3'600'000;
  int removed = 0;
  for (;;) {
    auto starts = log_.segment_starts();
    if (starts.size() < 2 || removed >= kMaxSegmentsPerClean) break;
    const int64_t next_start = starts[1];
    // Never drop what the dispatcher has not indexed yet.
    if (next_start > dispatched_) break;
    // A segment's last write is no later than the first record of the next.
    auto ts = log_.store_timestamp_at(next_start);
    const bool expired = force_expired_now || (ts && common::sat_sub(now, *ts) >= reserved_ms);
    if (!expired && !forcibly) break;
    if (auto r = log_.remove_first_segment(); !r) return r.error();
    ++removed;
  }
  if (removed == 0) return 0;
  rt_.log(rt::LogLevel::info, fmt::format("store: removed {} commitlog segment(s); the log now starts at {}", removed,
                                          log_.min_offset()));
  for (auto& [topic, qs] : queues_)
    for (auto& [qid, q] : qs)
      if (auto r = q->correct_min_offset(log_.min_offset()); !r) return r.error();
  rt::LockGuard index_guard(index_mu_);  // not while the dispatcher or the checkpoint walks the list
  while (index_files_.size() > 1 && index_files_.front()->header().end_phy_offset < log_.min_offset()) {
    const std::string path = index_files_.front()->path();
    index_files_.erase(index_files_.begin());
    if (auto r = rt_.fs().remove(path); !r) return r.error();
  }
  return removed;
}

}  // namespace rmq::store
