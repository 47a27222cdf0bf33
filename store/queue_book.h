// The store's bookkeeping beside the CommitLog: one ConsumeQueue per topic
// and queue id, the index files, and the next queue offset each queue gives
// a put. The dispatcher turns records into units and index entries here
// (in memory first, written by write_dispatched()); recovery loads and
// rebuilds it; retention and topic deletion remove from it; reads look up
// queues and index files in it.
//
// Owned by MessageStore and used by its tasks only. Index files are shared
// pointers: a loop that suspends walks a copy of index_files(). index_mutex()
// is held while index files take entries or write them (the dispatcher and
// the checkpoint both write them, and an entry put during a write would be
// cleared with the batch without reaching the file), and by whoever adds or
// removes files.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/message_format.h"
#include "runtime/runtime.h"
#include "store/consume_queue.h"
#include "store/index_file.h"
#include "store/store_config.h"

namespace rmq::store {

// Tags code of a TAGS value: Java's String.hashCode, sign-extended; 0 when empty.
int64_t tags_code(std::string_view tags);

class QueueBook {
 public:
  // Index entries an index file keeps in memory before it writes them (the
  // checkpoint writes the rest).
  static constexpr size_t kIndexWriteBatch = 4096;

  QueueBook(rt::Runtime& rt, const StoreConfig& cfg) : rt_(rt), cfg_(cfg), index_mu_(rt) {}

  // ---- ConsumeQueues -------------------------------------------------------
  using Queues = std::map<std::string, std::map<int32_t, std::unique_ptr<ConsumeQueue>>>;
  Queues& queues() { return queues_; }
  const Queues& queues() const { return queues_; }
  // The queue, created (empty, no file yet) when new.
  ConsumeQueue& queue_for(const std::string& topic, int32_t queue_id);
  ConsumeQueue* find_queue(const std::string& topic, int32_t queue_id) const;

  // ---- queue offsets for puts ---------------------------------------------
  // The offset the next put on the queue takes, counted up.
  int64_t take_queue_offset(const std::string& topic, int32_t queue_id) { return next_offset_[key(topic, queue_id)]++; }
  // Recovery: the next offset of every queue at least past its last unit.
  void raise_queue_offsets();
  void clear_queue_offsets() { next_offset_.clear(); }
  void forget_queue_offset(const std::string& topic, int32_t queue_id) { next_offset_.erase(key(topic, queue_id)); }

  // ---- dispatch -------------------------------------------------------------
  // live: the dispatcher (units must follow each other, except on a
  // replica's empty queue); recovery_queues_and_index; index_only (below
  // the queues' checkpoint); queues_only (a rebuild of every queue).
  enum class DispatchMode { live, recovery_queues_and_index, index_only, queues_only };
  // One record into its ConsumeQueue unit and index entries (in memory).
  // False when the record's queue offset does not follow its queue's.
  bool dispatch_record(const common::StoredMessage& m, int64_t offset, uint32_t size, DispatchMode mode);
  // Writes the pending ConsumeQueue units, and index entries once an index
  // file holds kIndexWriteBatch of them (or any, if `all_index`): lookups
  // see pending entries, and the checkpoint writes them all before it syncs,
  // so recovery re-indexes what a crash lost. On a failure the entries
  // already put stay put, the rest pending. Suspends.
  rt::Result<void> write_dispatched(bool all_index);
  // Syncs every queue and index file with unsynced bytes (index entries
  // written first), for a checkpoint. A sync that failed for lack of space
  // is an io_error. Suspends.
  rt::Result<void> sync_all();
  // The queues grown since the last call, with their new end.
  std::map<std::pair<std::string, int32_t>, int64_t> take_grown();
  void clear_grown() { grown_.clear(); }
  // Store time of the last record dispatched to a queue.
  int64_t last_dispatched_timestamp() const { return last_dispatched_timestamp_; }
  // A record's ConsumeQueue tags code: hash(TAGS), or for a message parked
  // in SCHEDULE_TOPIC_XXXX its delivery time (store time + delay(DELAY)).
  int64_t unit_tags_code(const common::StoredMessage& m) const;

  // ---- index files ----------------------------------------------------------
  // Oldest first; the last is writable.
  std::vector<std::shared_ptr<IndexFile>>& index_files() { return index_files_; }
  rt::Mutex& index_mutex() { return index_mu_; }
  // The last file, or a new one (named by `wall_ms`, after the previous
  // file's name even if the clock went back) when it is full or there is
  // none. Suspends.
  rt::Result<IndexFile*> writable_index(int64_t wall_ms);

 private:
  static std::string key(const std::string& topic, int32_t queue_id) { return topic + "-" + std::to_string(queue_id); }

  struct PendingIndex {
    int32_t key_hash = 0;
    int64_t phy_offset = 0;
    int64_t store_timestamp = 0;
  };

  rt::Runtime& rt_;
  const StoreConfig& cfg_;
  Queues queues_;
  std::map<std::string, int64_t> next_offset_;  // "topic-queueId" -> next offset
  std::vector<std::shared_ptr<IndexFile>> index_files_;
  std::map<std::pair<std::string, int32_t>, int64_t> grown_;  // queues grown this dispatch round
  std::vector<PendingIndex> pending_index_;
  rt::Mutex index_mu_;
  int64_t last_dispatched_timestamp_ = 0;
};

}  // namespace rmq::store
