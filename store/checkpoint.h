// The `checkpoint` file (reference 7.5): 4096 bytes, RocketMQ's fields at
// 0/8/16/24/32, then this store's own: the CommitLog offset below which every
// ConsumeQueue unit and index entry is durable (where recovery re-dispatches
// from), and a CRC of the first 48 bytes. Everything lives in the first
// 512-byte sector, so a write of it is never torn by a power loss; the CRC
// catches anything else.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/runtime.h"

namespace rmq::store {

struct CheckpointData {
  int64_t physic_msg_timestamp = 0;  // store time of the last synced CommitLog record
  int64_t logics_msg_timestamp = 0;  // ... of the last record with durable ConsumeQueue units
  int64_t index_msg_timestamp = 0;   // ... of the last record with durable index entries
  int64_t flushed_offset = 0;        // CommitLog bytes synced (masterFlushedOffset)
  int64_t confirm_offset = 0;        // confirmPhyOffset (== flushed_offset on a lone master)
  int64_t dispatched_offset = 0;     // ConsumeQueue/index durable below this
  bool operator==(const CheckpointData&) const = default;
};

inline constexpr size_t kCheckpointBytes = 4096;

class Checkpoint {
 public:
  // Opens or creates `path` (a created file loads as nullopt).
  static rt::Result<std::unique_ptr<Checkpoint>> open(rt::FileSystem& fs, const std::string& path);

  // The stored data; nullopt if the file was just created, is short, or its
  // CRC does not match.
  rt::Result<std::optional<CheckpointData>> load();
  // Writes and syncs.
  rt::Result<void> store(const CheckpointData& d);

 private:
  explicit Checkpoint(std::unique_ptr<rt::File> f) : file_(std::move(f)) {}
  std::unique_ptr<rt::File> file_;
};

}  // namespace rmq::store
