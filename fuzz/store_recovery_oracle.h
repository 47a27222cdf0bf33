// The pure half of fuzz_store_recovery: how a fuzz input becomes a store
// directory (segments, checkpoint, abort file, config), and what recovery
// must make of it, computed without the store.
//
// Input layout (missing bytes read as zero):
//   [0]      flags:  bit0 truncate_corrupt_commit_log
//                    bit1 write a checkpoint
//                    bit2 leave an abort file (the last run crashed)
//                    bit3 two segments: the log bytes after `split` go to segment 1
//                    bit4 (two segments) close segment 0 with a blank record at `split`
//                    bit5 check_crc_on_recover = false
//                    bit6 message_index_enable = false
//                    bit7 raw checkpoint positions (else snapped, see below)
//   [1]      flags2: bit0 ASYNC_FLUSH (else SYNC_FLUSH)
//   [2..3]   split, u16 little-endian (clamped to what fits segment 0)
//   [4..7]   dispatched, u32 little-endian
//   [8..11]  flushed, u32 little-endian
//   [12..]   the log bytes
//
// Raw checkpoint positions are written as given (the checkpoint's CRC is
// valid; it still loads as "none" when dispatched > flushed). Snapped
// positions are what a store could have written: dispatched is one of the
// record boundaries of the valid prefix (the oracle's walk below), flushed
// is dispatched plus anything. With snapped positions the oracle predicts
// the outcome exactly: whether open refuses, where the log ends and which
// queue units exist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "common/message_format.h"
#include "store/checkpoint.h"
#include "store/store_config.h"

namespace rmq::fuzz {

inline constexpr uint64_t kSegmentBytes = 64 * 1024;
inline constexpr size_t kInputHeaderBytes = 12;
inline constexpr const char* kStoreRoot = "/store";

// The store directory a fuzz input stands for.
struct StoreImage {
  // Segment files by start offset (0, and kSegmentBytes with two segments).
  std::map<int64_t, std::vector<std::byte>> segments;
  std::optional<store::CheckpointData> checkpoint;
  bool abort_file = false;
  bool snapped = false;  // checkpoint positions from record boundaries
  uint32_t dispatched_word = 0;  // input bytes [4..7] and [8..11]
  uint32_t flushed_word = 0;
  store::StoreConfig config;
};

// A record of the valid prefix.
struct OracleRecord {
  int64_t offset = 0;
  uint32_t size = 0;
  common::StoredMessage message;
  bool crc_ok = true;  // body CRC (only false when the config does not check it)
};

// The walk a correct recovery makes from offset 0: the valid records, the
// offsets a checkpoint may name, and where and how the log ends.
struct Oracle {
  std::vector<OracleRecord> records;
  // Offsets a checkpoint written by the store may name: record and blank
  // starts, and the end (after a closing blank, the start of a segment that
  // may not exist yet).
  std::vector<int64_t> boundaries;
  int64_t end = 0;
  bool clean_end = true;  // the data ends exactly after a record
  std::string problem;    // why it does not
};

// Units of the ConsumeQueues: (topic, queue id, queue offset) -> record index.
using QueueKey = std::pair<std::string, int32_t>;
using UnitKey = std::tuple<std::string, int32_t, int64_t>;
struct QueueModel {
  std::map<UnitKey, size_t> units;       // into Oracle::records
  std::map<QueueKey, int64_t> next;      // the next queue offset a put gets
  bool consistent = true;                // the first pass found no gap
};

// Decodes the input. The log bytes live on in `image.segments`.
StoreImage decode_input(std::span<const uint8_t> input);

// Walks the segments from 0 (no store code beyond the record decoder).
Oracle walk(const std::map<int64_t, std::vector<std::byte>>& segments, bool check_crc);

// Turns snapped checkpoint indexes into offsets (REQUIRES: image.snapped).
// Never just past a closing blank: the store never names that offset (it
// once did: `synced` could stop there).
void snap_checkpoint(StoreImage& image, const Oracle& oracle);

// What the ConsumeQueues hold after recovery dispatches the oracle's records
// from `from` into empty queues, and rebuilds every queue from the whole
// log if that pass finds a queue offset out of line.
QueueModel model_queues(const Oracle& oracle, int64_t from);

// Whether the checkpoint loads (Checkpoint::load() refuses dispatched >
// flushed).
bool checkpoint_loads(const StoreImage& image);

// Whether recovery must refuse to open (exact predictions only).
bool must_refuse(const StoreImage& image, const Oracle& oracle);

}  // namespace rmq::fuzz
