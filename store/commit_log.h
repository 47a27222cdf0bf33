// The CommitLog: every message of every topic, appended in RocketMQ's stored
// format to fixed-size segment files named by their 20-digit start offset.
//
// Three positions, always appended >= written >= synced:
//  - appended: records encoded in memory (offsets and queue offsets assigned);
//  - written:  handed to the file system (survives a process crash);
//  - synced:   covered by an fdatasync (survives a power loss).
// append() never suspends, so concurrent putters get offsets in the order
// they call it; the writer task moves the other two positions. A record never
// spans segments: when it does not fit, the segment ends with a blank record
// (8-byte header; RocketMQ's END_FILE_MIN_BLANK_LENGTH) and the record opens
// the next segment.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/message_format.h"
#include "runtime/runtime.h"
#include "store/store_config.h"

namespace rmq::store {

// "00000000001073741824"
std::string segment_file_name(int64_t start);
// The start offset a 20-digit name stands for; nullopt for anything else.
std::optional<int64_t> parse_segment_file_name(std::string_view name);

inline constexpr uint32_t kBlankRecordBytes = 8;
// Largest queue id and queue offset a record may carry (so that directory
// names have at most 6 digits and `offset * 20` never overflows).
inline constexpr int32_t kQueueIdMax = 999'999;
inline constexpr int64_t kQueueOffsetMax = int64_t{1} << 55;

// Why a decoded record cannot be stored or dispatched ("" if it can): its
// topic, queue id or queue offset is out of bounds. Corruption when read back.
std::string record_problem(const common::StoredMessage& m);

// How a scan of the log ended.
struct ScanEnd {
  enum class Kind {
    end_of_data,  // the last segment ends exactly after a record
    torn,         // a record cut short by the end of the data
    invalid,      // a record failing validation (re-read and still bad)
  };
  Kind kind = Kind::end_of_data;
  int64_t offset = 0;   // where the valid log ends
  std::string problem;  // torn/invalid: what was found there
};

class CommitLog {
 public:
  CommitLog(rt::Runtime& rt, const StoreConfig& cfg);

  // ---- recovery -----------------------------------------------------------
  // Opens the segment files. Errors: a file name that is not a segment name
  // is ignored (logged); a gap between segments, a misaligned name or a file
  // larger than the segment size is Errc::invalid_argument (the store does
  // not guess).
  rt::Result<void> open_segments();
  int64_t min_offset() const;   // start of the first segment; 0 when empty
  int64_t data_end() const;     // start of the last segment + its file size
  bool empty() const { return segments_.empty(); }

  using RecordFn = std::function<void(const common::StoredMessage&, int64_t offset, uint32_t size)>;
  // Validates records from `from` (a record boundary) to the end of the data,
  // calling `fn` for each valid one. Corrupt-looking records are re-read
  // (transient read errors) before the scan gives up on them.
  rt::Result<ScanEnd> scan(int64_t from, bool check_crc, const RecordFn& fn);

  // Cuts the log at `end` (shortening its segment, removing later segments),
  // syncs the files and the directory, and sets every position to `end`.
  rt::Result<void> truncate_to(int64_t end);
  // Sets every position to `end` (after a scan found nothing to cut).
  void set_positions(int64_t end);
  // Syncs every segment holding bytes at or after `from`.
  rt::Result<void> sync_from(int64_t from);

  // ---- appending ----------------------------------------------------------
  int64_t appended() const { return appended_; }
  int64_t written() const { return written_; }
  int64_t synced() const { return synced_; }
  uint64_t pending_bytes() const { return static_cast<uint64_t>(appended_ - written_); }
  // Largest record that fits in a segment.
  uint64_t max_record_bytes() const { return cfg_.commit_log_segment_bytes - kBlankRecordBytes; }

  // Fills m.physical_offset and encodes the record at the append position,
  // rolling to a new segment if it does not fit. Returns the record's offset.
  // Never suspends. REQUIRES: stored_size(m) <= max_record_bytes().
  int64_t append(common::StoredMessage& m);
  // A slave's append of bytes replicated from its master: one whole record
  // already in the stored format (its physical offset must be appended()),
  // or a blank record closing the segment (`closes_segment`). Never suspends.
  void append_copied(std::span<const std::byte> record, bool closes_segment);
  // Positions an empty log at `start` (a segment start): a slave whose
  // master began the stream there. REQUIRES: empty(), nothing appended.
  void start_at(int64_t start);

  // Writer side: writes everything appended so far (creating segment files,
  // their directory entries synced). Advances `written`.
  rt::Result<void> write_pending();
  // Syncs the segments written since the last sync; `synced` becomes the
  // `written` position seen when the sync began.
  rt::Result<void> sync_written();

  // The bytes written, in chunks of whole records, kept for the dispatcher
  // (which so never reads back, and never trusts, a possibly bad read of
  // what it just wrote). Returns the chunks that end at or before `limit`.
  struct Chunk {
    int64_t offset = 0;
    std::vector<std::byte> data;
    // Where the log continues after it: offset + data.size(), or the next
    // segment's start when the chunk closes its segment (the blank record's
    // 8 bytes stand for the rest of the segment).
    int64_t end = 0;
  };
  std::vector<Chunk> take_written(int64_t limit);

  // ---- reading ------------------------------------------------------------
  // How far a read is trusted. The format checksums only a record's body:
  // `agreed` reads every byte twice (see agreed_read.h), for callers that
  // cannot check the rest themselves.
  enum class ReadCare { checked, agreed };
  // Reads from the segment holding `offset`; fewer bytes at the segment's
  // end. Errc::not_found for offsets outside the log.
  rt::Result<size_t> read(int64_t offset, rt::MutableBytes buf, ReadCare care = ReadCare::checked);

  // Reads and validates the record at `offset` of `size` bytes (magic, size,
  // physical offset, body CRC), re-reading on a mismatch. Errc::not_found
  // when the segment is gone, io_error when it stays corrupt; then
  // `bad_body_crc` (when given) tells whether the record is whole but for
  // its body's CRC.
  rt::Result<std::vector<std::byte>> read_record(int64_t offset, uint32_t size, ReadCare care = ReadCare::checked,
                                                 bool* bad_body_crc = nullptr);
  // Where the `size` bytes at `offset` lie, for sending them without reading
  // them (zero-copy pulls): the segment file (kept open while referenced,
  // even if retention removes it) and the offset in it. Nothing is read or
  // validated. Errc::not_found unless one written segment holds them whole.
  struct FileSlice {
    std::shared_ptr<rt::File> file;
    uint64_t file_offset = 0;
  };
  rt::Result<FileSlice> slice(int64_t offset, uint32_t size) const;
  // The store timestamp of the record at `offset` (no CRC check).
  rt::Result<int64_t> store_timestamp_at(int64_t offset);

  // ---- retention ----------------------------------------------------------
  std::vector<int64_t> segment_starts() const;
  uint64_t segment_bytes() const { return cfg_.commit_log_segment_bytes; }
  // Removes the first segment (never the one being appended to).
  rt::Result<void> remove_first_segment();

 private:
  struct Segment {
    std::shared_ptr<rt::File> file;  // null until the writer creates it
  };
  int64_t segment_start_of(int64_t offset) const;
  // The pending chunk that the next bytes at appended() extend (a new one
  // at a segment start or after a gap), its segment listed.
  Chunk& chunk_at_append_position();
  rt::Result<std::shared_ptr<rt::File>> segment_file(int64_t start, bool create);

  rt::Runtime& rt_;
  const StoreConfig& cfg_;
  std::string dir_;
  common::HostPort4 store_host_;
  std::map<int64_t, Segment> segments_;
  std::vector<Chunk> pending_;
  std::deque<Chunk> written_chunks_;
  std::set<int64_t> unsynced_segments_;
  int64_t appended_ = 0;
  int64_t written_ = 0;
  int64_t synced_ = 0;
};

}  // namespace rmq::store
