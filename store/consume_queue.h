// A ConsumeQueue: the index of one topic queue into the CommitLog, 20-byte
// units (CommitLog offset i64 | record size i32 | tags code i64, reference
// 7.3) in files of `units_per_file` units named by their 20-digit start byte
// offset. Unit n is logical (queue) offset n. Units are appended in memory by
// the dispatcher, written in batches, synced by the flusher; readers see the
// written ones. The whole queue can be rebuilt from the CommitLog.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::store {

inline constexpr uint32_t kCqUnitBytes = 20;

struct CqUnit {
  int64_t phys_offset = 0;
  int32_t size = 0;
  int64_t tags_code = 0;
  bool valid() const { return phys_offset >= 0 && size > 0; }
  // The (0, i32 max, 0) unit that fills slots before a queue's first unit.
  bool filler() const { return phys_offset == 0 && size == INT32_MAX && tags_code == 0; }
  bool operator==(const CqUnit&) const = default;
};

class ConsumeQueue {
 public:
  ConsumeQueue(rt::Runtime& rt, std::string root_dir, std::string topic, int32_t queue_id, uint32_t units_per_file);

  const std::string& topic() const { return topic_; }
  int32_t queue_id() const { return queue_id_; }
  const std::string& dir() const { return dir_; }

  // Opens the queue's files and finds where the valid units end. Files that
  // do not form a contiguous run are an Errc::invalid_argument (the caller
  // rebuilds the queue).
  rt::Result<void> load();

  int64_t min_offset() const { return min_; }
  int64_t max_offset() const { return written_; }     // next offset readers may ask for
  int64_t appended_offset() const { return appended_; }
  // No units and no files: the next append may start at any offset.
  bool empty() const { return files_.empty() && pending_.empty() && appended_ == min_; }

  // Recovery: keeps the leading units that are valid and point below
  // `phys_limit`, cuts the rest (synced). The kept units are what the
  // checkpoint says is durable; everything after is re-dispatched.
  rt::Result<void> truncate_below_phys(int64_t phys_limit);
  // Removes every file (rebuild from scratch).
  rt::Result<void> remove_all();

  // Dispatch: adds unit `logical` in memory. A queue whose first unit is not
  // 0 starts its first file with filler units. REQUIRES: logical ==
  // appended_offset(), or the queue is empty (then any logical).
  void append(int64_t logical, const CqUnit& u);
  bool has_pending() const { return appended_ > written_; }
  rt::Result<void> write_pending();
  bool unsynced() const { return !unsynced_files_.empty(); }
  rt::Result<void> sync();

  // Up to `max_units` written units from `from`; fewer at the end of a file
  // or of the queue. Errc::not_found when `from` is outside [min, max).
  rt::Result<std::vector<CqUnit>> read(int64_t from, size_t max_units);

  // Retention: the first offset whose unit points at or after `cl_min`
  // becomes the minimum; files entirely below it are removed.
  rt::Result<void> correct_min_offset(int64_t cl_min);

 private:
  int64_t file_start_logical(int64_t logical) const { return logical - logical % units_per_file_; }
  rt::Result<std::shared_ptr<rt::File>> file_for(int64_t file_start, bool create);
  rt::Result<CqUnit> read_unit_stable(int64_t logical);

  rt::Runtime& rt_;
  std::string topic_;
  int32_t queue_id_;
  std::string dir_;
  int64_t units_per_file_;
  std::map<int64_t, std::shared_ptr<rt::File>> files_;  // by first logical offset
  std::vector<std::byte> pending_;                      // units [written_, appended_)
  std::map<int64_t, bool> unsynced_files_;
  int64_t min_ = 0;
  int64_t written_ = 0;
  int64_t appended_ = 0;
  bool dir_created_ = false;
};

}  // namespace rmq::store
