// The message store: CommitLog + ConsumeQueues + IndexFiles + checkpoint,
// with the writer, flusher, dispatcher, checkpointer and cleaner tasks, crash
// recovery, reads and retention. One per broker, on one runtime.
//
// Durability contract:
//  - ASYNC_FLUSH: put() returns PUT_OK once the record is written to the
//    file system (it survives a process crash); a flusher syncs every
//    flush_interval_commit_log.
//  - SYNC_FLUSH: put() returns PUT_OK only after an fdatasync covering the
//    record (group commit: one sync for every record written before it);
//    FLUSH_DISK_TIMEOUT after sync_flush_timeout.
//  - Consumers only see records the dispatcher has indexed, and it never
//    goes beyond `written` (ASYNC) or `synced` (SYNC).
//  - A failed write or sync stops the store: every waiting and later put
//    fails with SERVICE_NOT_AVAILABLE until the store is reopened (recovery
//    then decides what is on disk). A failed sync is never reported as ok.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/message_format.h"
#include "runtime/runtime.h"
#include "store/checkpoint.h"
#include "store/commit_log.h"
#include "store/consume_queue.h"
#include "store/index_file.h"
#include "store/queue_book.h"
#include "store/recovery.h"
#include "store/store_config.h"

namespace rmq::store {

// RocketMQ's PutMessageStatus.
enum class PutStatus {
  put_ok,
  flush_disk_timeout,
  service_not_available,  // store stopped, failed, or disk full (see detail)
  message_illegal,
  properties_size_exceeded,
  os_page_cache_busy,
  // Set by a SYNC_MASTER broker after the put (store/ha): the message is
  // stored on the master, but no slave acknowledged it in time / no usable slave.
  flush_slave_timeout,
  slave_not_available,
};
std::string_view to_string(PutStatus s);

struct PutResult {
  PutStatus status = PutStatus::service_not_available;
  std::string detail;
  int64_t physical_offset = -1;  // first record
  int64_t queue_offset = -1;     // first record
  int32_t message_count = 0;
  int32_t bytes = 0;             // all records
  int64_t store_timestamp = 0;
  std::string msg_id;            // offset msgId of the first record
  std::vector<std::string> msg_ids;  // of every record, in order
  bool ok() const { return status == PutStatus::put_ok; }
};

// RocketMQ's GetMessageStatus.
enum class GetStatus {
  found,
  no_matched_message,
  message_was_removing,
  offset_found_null,
  offset_overflow_badly,
  offset_overflow_one,
  offset_too_small,
  no_matched_logic_queue,
  no_message_in_queue,
};
std::string_view to_string(GetStatus s);

struct GetResult {
  GetStatus status = GetStatus::no_matched_logic_queue;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  // The records, back to back in the stored format (a pull response body).
  std::vector<std::byte> data;
  struct Item {
    int64_t queue_offset = 0;
    int64_t physical_offset = 0;
    int32_t size = 0;
  };
  std::vector<Item> items;
  // Under Transfer::file: where the records lie in the CommitLog's files, in
  // order, adjacent ones merged (`data` stays empty).
  struct FileRange {
    std::shared_ptr<rt::File> file;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  std::vector<FileRange> ranges;
  int64_t bytes = 0;  // of the records found, either way
  // The reader is so far behind that what it reads is no longer in memory
  // (RocketMQ's isSuggestPullingFromSlave).
  bool suggest_pulling_from_slave = false;
};

// How get() hands over the records it found (RocketMQ's transferMsgByHeap):
// `heap` reads each one, validates it against its ConsumeQueue unit (topic,
// queue, offset, tags, body CRC, read again if it does not check out) and
// copies it into GetResult::data; `file` names their places in the
// CommitLog's files (GetResult::ranges) for the caller to send without
// reading them, trusting the units as RocketMQ does.
enum class Transfer { heap, file };

// Decides from a ConsumeQueue tags code whether a message matches; empty
// means every message does.
using TagFilter = std::function<bool(int64_t tags_code)>;

// A record read back, validated.
struct StoredRecord {
  std::vector<std::byte> bytes;
  common::StoredMessage message;
};


class MessageStore {
 public:
  // Index entries an index file keeps in memory before it writes them (the
  // checkpoint writes the rest).
  static constexpr size_t kIndexWriteBatch = QueueBook::kIndexWriteBatch;

  // Recovers the store under cfg.root_dir (creating it when new) and starts
  // its tasks. Errors name the file and the problem; see recovery.h for what
  // recovery decides and when it refuses.
  static rt::Result<std::unique_ptr<MessageStore>> open(rt::Runtime& rt, StoreConfig cfg);
  // Cancels the tasks without any I/O (a crash as far as the disk is
  // concerned) unless close() ran.
  ~MessageStore();
  MessageStore(const MessageStore&) = delete;
  MessageStore& operator=(const MessageStore&) = delete;

  // Clean shutdown: refuses new puts, writes, syncs and dispatches what was
  // appended, syncs the queues and the index, writes the checkpoint and
  // removes the abort file. Suspends.
  rt::Result<void> close();

  const StoreConfig& config() const { return cfg_; }
  const RecoveryReport& recovery_report() const { return report_; }

  // ---- writes ---------------------------------------------------------------
  // Stores `m` (topic, queue_id, body, properties, flag, sys_flag, born
  // fields, reconsume_times, prepared_transaction_offset); the store assigns
  // the offsets and the store time. Suspends until durable per the flush type.
  PutResult put(common::StoredMessage m);
  // Stores the messages contiguously (a batch send): all or none are
  // appended, queue offsets consecutive per queue.
  PutResult put_batch(std::vector<common::StoredMessage> ms);

  // ---- reads ----------------------------------------------------------------
  // Up to `max_count` matching records from `offset` (at least one, then no
  // more than `max_bytes`), handed over per `transfer`.
  GetResult get(const std::string& topic, int32_t queue_id, int64_t offset, int32_t max_count, int64_t max_bytes,
                const TagFilter& filter = {}, Transfer transfer = Transfer::heap);
  // The written ConsumeQueue units of a queue from `from`, at most `max`
  // (fewer at a file's end); empty when there are none (yet). Errc::not_found
  // when `from` is below the queue's minimum (aged out). The delay-level
  // service reads SCHEDULE_TOPIC_XXXX this way: a unit's tags code is its
  // delivery time.
  rt::Result<std::vector<CqUnit>> units(const std::string& topic, int32_t queue_id, int64_t from, size_t max);
  // The record a unit points at, validated. Errc::not_found when it aged out.
  rt::Result<StoredRecord> read_unit(const CqUnit& u);
  // By CommitLog offset (the offset msgId). Errc::not_found when no record
  // starts there.
  rt::Result<StoredRecord> read_at(int64_t physical_offset);
  // By key (a KEYS word or the UNIQ_KEY), stored within [begin_ms, end_ms],
  // newest first.
  rt::Result<std::vector<StoredRecord>> query_by_key(const std::string& topic, const std::string& key, size_t max,
                                                     int64_t begin_ms, int64_t end_ms);
  int64_t min_offset(const std::string& topic, int32_t queue_id) const;
  int64_t max_offset(const std::string& topic, int32_t queue_id) const;
  // Each topic that has a ConsumeQueue, with its highest queue id + 1.
  std::map<std::string, int32_t> queue_counts() const;
  // First offset whose message was stored at or after `timestamp_ms`; the
  // max offset when none.
  rt::Result<int64_t> offset_by_time(const std::string& topic, int32_t queue_id, int64_t timestamp_ms);
  // Store time of the message at `offset` (or the earliest one).
  rt::Result<int64_t> store_time(const std::string& topic, int32_t queue_id, int64_t offset);
  rt::Result<int64_t> earliest_store_time(const std::string& topic, int32_t queue_id);
  // The queues that exist, by topic.
  std::map<std::string, std::vector<int32_t>> queues() const;

  // ---- admin ----------------------------------------------------------------
  // Drops the topic's ConsumeQueues (its CommitLog records age out).
  rt::Result<void> delete_topic(const std::string& topic);
  // One retention pass (the cleaner task runs it every clean_interval);
  // `force_expired_now` treats every full segment as expired (tests, admin).
  rt::Result<int> clean_expired(bool force_expired_now = false);
  // Called after the dispatcher makes new messages visible in a queue.
  void set_arrival_listener(std::function<void(const std::string& topic, int32_t queue_id, int64_t max_offset)> fn) {
    arrival_ = std::move(fn);
  }

  // ---- replication (store/ha; replica.cc) ------------------------------------
  // A slave's store (StoreConfig::replica) takes its log from the master:
  // put() refuses, and append_replicated() adds the bytes the HA stream
  // carries. Whole records are validated (layout, physical offset, body CRC,
  // bounds) and appended; a record cut by the end of `data` waits in memory
  // for the next call; the zeros after a closing blank record (a master with
  // preallocated segments sends them) are skipped. `offset` must be
  // replica_position(), or a segment start when the log is empty (the master
  // streams from the start of its last segment). Errc::invalid_argument on a
  // position mismatch, Errc::io_error on a bad record: the caller drops the
  // stream and calls reset_replica_tail() before the next one.
  rt::Result<void> append_replicated(int64_t offset, std::span<const std::byte> data);
  // Where the next replicated byte goes: the end of what was received (the
  // whole records appended, plus a held-back partial one; below appended()
  // while a closed segment's zeros are still coming).
  int64_t replica_position() const;
  void reset_replica_tail();
  // Suspends until written() >= end. Errc::timeout; the store's failure;
  // Errc::cancelled when the calling task is being cancelled while another
  // unwinds (a wait cannot throw then).
  rt::Result<void> wait_written(int64_t end, rt::Duration timeout);
  // Master: the end of what a slave may be streamed, the same limit the
  // dispatcher keeps: under SYNC_FLUSH synced bytes only (a slave never
  // holds bytes a power loss of this master could take back, which it
  // could not stream past again), else written ones.
  int64_t replicable() const;
  // Suspends until replicable() >= end; errors as wait_written.
  rt::Result<void> wait_replicable(int64_t end, rt::Duration timeout);
  // Master: up to `max` replicable bytes of the log from `offset`, within
  // one segment (each byte read twice, see agreed_read.h). A closed segment
  // reads as zeros after its blank record, as a preallocated one would.
  // Empty when offset >= replicable(); Errc::not_found below the log's start.
  rt::Result<std::vector<std::byte>> read_log(int64_t offset, size_t max);

  // ---- state ------------------------------------------------------------------
  int64_t commit_log_min_offset() const { return log_.min_offset(); }
  int64_t appended() const { return log_.appended(); }
  int64_t written() const { return log_.written(); }
  int64_t synced() const { return log_.synced(); }
  int64_t dispatched() const { return dispatched_; }
  // Puts are refused for a full disk: usage above disk_full_ratio, or a
  // write that failed with ENOSPC (the writer retries it; once it goes
  // through, puts are taken again).
  bool disk_full() const { return disk_full_ || no_space_; }
  // Set when a write (other than for lack of space) or a sync failed; the
  // store acknowledges nothing more.
  const std::optional<rt::Error>& failure() const { return failure_; }
  // Suspends until everything appended is dispatched (tests, shutdown).
  rt::Result<void> wait_dispatched(rt::Duration timeout);

 private:
  MessageStore(rt::Runtime& rt, StoreConfig cfg);
  rt::Result<void> recover();
  rt::Result<void> load_consume_queues();
  rt::Result<void> load_index_files(int64_t scan_from, int64_t& index_from);
  void start_tasks();
  void stop_tasks();

  PutResult append_and_wait(std::vector<common::StoredMessage>& ms);
  void fail(const rt::Error& e);
  void release_waiters();

  void writer_loop();
  void flusher_loop();
  void dispatcher_loop();
  void checkpoint_loop();
  void cleaner_loop();

  // Dispatches the written chunks ending at or before `limit`.
  rt::Result<void> dispatch_written(int64_t limit);
  template <typename Position>
  rt::Result<void> wait_for_position(int64_t end, rt::Duration timeout, Position position);
  rt::Result<void> flush_queues_and_checkpoint();
  // The record at `phys`, its body's CRC checked; `bad_body_crc` (when
  // given) tells a record whole but for that CRC from other failures.
  rt::Result<StoredRecord> read_record_checked(int64_t phys, int32_t size,
                                               CommitLog::ReadCare care = CommitLog::ReadCare::checked,
                                               bool* bad_body_crc = nullptr);

  rt::Runtime& rt_;
  StoreConfig cfg_;
  CommitLog log_;
  std::unique_ptr<Checkpoint> checkpoint_;
  RecoveryReport report_;
  QueueBook book_;  // ConsumeQueues, index files, queue offsets

  struct Waiter {
    int64_t end = 0;
    std::shared_ptr<rt::Event> done;
  };
  std::deque<Waiter> waiters_;
  rt::Event work_;           // writer: something was appended
  rt::Event space_;          // putters: pending bytes went down
  rt::Event dispatchable_;   // dispatcher: the limit moved
  rt::Event dispatched_evt_; // wait_dispatched()
  int64_t dispatched_ = 0;
  std::optional<rt::Error> failure_;
  bool closing_ = false;
  bool closed_ = false;
  bool disk_full_ = false;  // usage above disk_full_ratio (the cleaner's check)
  // A CommitLog write failed with ENOSPC: puts are refused while the writer
  // retries every kNoSpaceRetry; cleared by its first write that succeeds.
  bool no_space_ = false;
  static constexpr rt::Duration kNoSpaceRetry = std::chrono::seconds(1);
  std::function<void(const std::string&, int32_t, int64_t)> arrival_;
  std::vector<rt::Task> tasks_;
  // Replication: the received bytes of a record not yet complete, and how
  // far the stream has come (below appended() inside a closed segment's
  // zeros).
  std::vector<std::byte> replica_tail_;
  int64_t replica_received_ = -1;  // end of the bytes received; -1: appended()
  rt::Event written_evt_;  // the writer moved `written` (or, under SYNC_FLUSH, `synced`)
};

}  // namespace rmq::store
