#include "store/message_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/canary/store_sync_ack_early.h"
#include "common/java_hash.h"
#include "common/message_const.h"
#include "common/numbers.h"
#include "runtime/assert.h"
#include "store/delay_levels.h"

namespace rmq::store {

using common::StoredMessage;


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


// ---------------------------------------------------------------------------
// Opening and recovery

MessageStore::MessageStore(rt::Runtime& rt, StoreConfig cfg)
    : rt_(rt),
      cfg_(std::move(cfg)),
      log_(rt, cfg_),
      book_(rt, cfg_),
      work_(rt),
      space_(rt),
      dispatchable_(rt),
      dispatched_evt_(rt),
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
      if (!book_.dispatch_record(*d.message, off, d.size, QueueBook::DispatchMode::live))
        return rt::Error(rt::Errc::io_error,
                         fmt::format("dispatch: record at {} has queue offset {} but {}-{} is at {}", off,
                                     d.message->queue_offset, d.message->topic, d.message->queue_id,
                                     book_.queue_for(d.message->topic, d.message->queue_id).appended_offset()));
      at += d.size;
    }
  }
  // A full disk: the records are dispatched in memory; their units and
  // index entries wait until they can be written (their chunks are taken).
  for (;;) {
    auto r = book_.write_dispatched(/*all_index=*/false);
    if (r) break;
    if (r.error().code() != rt::Errc::no_space) return r;
    if (failure_) return *failure_;
    rt_.sleep_for(kNoSpaceRetry);  // cancelled (unwinding) when the store closes
  }
  dispatched_ = pos;
  const auto grown = book_.take_grown();
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
  const int64_t timestamp = book_.last_dispatched_timestamp();
  if (auto r = book_.sync_all(); !r) return r;
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
      m.queue_offset = book_.take_queue_offset(m.topic, m.queue_id);
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

}  // namespace rmq::store
