// IndexFile (reference 7.4): a hash index from "topic#key" to CommitLog
// offsets. 40-byte header, `slots` i32 hash slots, then `max_entries` 20-byte
// entries (key hash i32 | CommitLog offset i64 | seconds since the file's
// begin timestamp i32 | previous entry in the slot i32). Entry 0 is unused.
//
// Entries are put in memory by the dispatcher and written in batches (entries,
// then the 4 KiB groups of slots they changed, in as few writes as the runs of
// changed groups allow, then the header). Lookups walk a slot's chain;
// the store checks every hit against the CommitLog, so a stale entry is never
// returned. After a crash, a file touched beyond the checkpoint is rebuilt.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::store {

inline constexpr uint32_t kIndexHeaderBytes = 40;
inline constexpr uint32_t kIndexEntryBytes = 20;

struct IndexHeader {
  int64_t begin_timestamp = 0;
  int64_t end_timestamp = 0;
  int64_t begin_phy_offset = 0;
  int64_t end_phy_offset = 0;
  int32_t hash_slot_count = 0;
  int32_t index_count = 1;
};

// abs(java hash of the key), 0 for Integer.MIN_VALUE (reference 7.4).
int32_t index_key_hash(std::string_view key);

// yyyyMMddHHmmssSSS of a wall-clock time in UTC milliseconds.
std::string index_file_name(int64_t wall_ms);

class IndexFile {
 public:
  // Creates a new file, or opens an existing one (reading its header, and
  // its slots when `writable`).
  static rt::Result<std::unique_ptr<IndexFile>> create(rt::FileSystem& fs, std::string path, uint32_t slots,
                                                       uint32_t max_entries);
  static rt::Result<std::unique_ptr<IndexFile>> open(rt::FileSystem& fs, std::string path, uint32_t slots,
                                                     uint32_t max_entries, bool writable);

  const std::string& path() const { return path_; }
  const IndexHeader& header() const { return header_; }
  bool full() const { return static_cast<uint32_t>(header_.index_count) >= max_entries_; }

  // In memory until write_pending(). REQUIRES: !full() and writable.
  void put(int32_t key_hash, int64_t phy_offset, int64_t store_timestamp);
  bool has_pending() const { return !pending_entries_.empty(); }
  size_t pending_entries() const { return pending_entries_.size() / kIndexEntryBytes; }
  rt::Result<void> write_pending();
  // Keeps only the leading entries stored below `phy_limit` (in order and
  // plausible), recomputes the slots from them and makes the file writable.
  // Returns the log offset from which recovery must index again: `phy_limit`,
  // or less when an implausible entry (corruption) cut the file below it.
  rt::Result<int64_t> truncate_at(int64_t phy_limit);
  rt::Result<void> sync() { return file_->sync(); }

  // CommitLog offsets of entries with this key hash stored within
  // [begin_ms, end_ms], newest first, at most `max`.
  rt::Result<std::vector<int64_t>> lookup(int32_t key_hash, int64_t begin_ms, int64_t end_ms, size_t max);

 private:
  IndexFile(std::unique_ptr<rt::File> f, std::string path, uint32_t slots, uint32_t max_entries)
      : file_(std::move(f)), path_(std::move(path)), slots_(slots), max_entries_(max_entries) {}
  uint64_t entry_pos(int64_t n) const { return kIndexHeaderBytes + uint64_t{slots_} * 4 + uint64_t(n) * kIndexEntryBytes; }
  rt::Result<void> write_header();
  // Calls visit(entry number, its 20 bytes) for entries [1, index_count)
  // in order, until it returns false.
  rt::Result<void> for_each_entry(const std::function<bool(int64_t, const std::byte*)>& visit);
  // Recomputes every slot from entries [1, index_count) and writes them.
  rt::Result<void> rebuild_slots();

  std::unique_ptr<rt::File> file_;
  std::string path_;
  uint32_t slots_;
  uint32_t max_entries_;
  IndexHeader header_;
  std::vector<int32_t> slot_table_;  // writable files only
  std::vector<std::byte> pending_entries_;
  int64_t pending_first_ = 0;        // entry number of the first pending entry
  // Slots changed since the last write, in groups of kSlotsPerGroup: a
  // write covers runs of changed groups, not single slots.
  static constexpr uint32_t kSlotsPerGroup = 1024;
  std::vector<bool> dirty_group_;
  std::vector<uint32_t> dirty_groups_;
};

}  // namespace rmq::store
