// Recovery decisions. MessageStore::open() finds the store's state, picks one
// row of this table for the CommitLog and applies the queue/index rows that
// match; the report names every row applied. Each row has a test
// (tests/store/recovery_test.cc).
//
// Positions: `checkpoint.flushed` = CommitLog bytes known synced when the
// checkpoint was written; `checkpoint.dispatched` = offset below which every
// ConsumeQueue unit and index entry was synced. Recovery re-validates the
// CommitLog from `dispatched` (CRC included), re-dispatches what it finds,
// syncs, and writes a checkpoint; doing it twice gives the same state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::store {

enum class RecoveryRow {
  fresh,              // no segments, no checkpoint data: empty store
  segments_lost,      // no segments but the checkpoint says data was synced: refuse
  bad_layout,         // segments misaligned, not contiguous or oversized: refuse
  clean_shutdown,     // no abort file, checkpoint valid: verify from `dispatched` (normally nothing)
  crash,              // abort file present, checkpoint valid: verify from `dispatched`
  no_checkpoint,      // checkpoint missing or invalid: verify everything, rebuild every queue
  torn_tail,          // the log ends in a cut or invalid record at or after `flushed`: cut it there
  corrupt_durable,    // an invalid record below `flushed`: refuse (or cut, if configured)
  queue_truncated,    // ConsumeQueue units at or past `dispatched`: cut, then re-dispatched
  queues_rebuilt,     // a queue does not line up with the log: every queue rebuilt from the log
  index_rebuilt,      // index file unreadable, or its entries before `dispatched` are not: deleted, re-indexed
  index_truncated,    // index file touched after `dispatched`: entries from there on cut, re-indexed
};

struct RecoveryRowInfo {
  RecoveryRow row;
  std::string_view name;
  std::string_view action;
};

inline constexpr std::array<RecoveryRowInfo, 12> kRecoveryTable{{
    {RecoveryRow::fresh, "fresh", "start empty; write a checkpoint"},
    {RecoveryRow::segments_lost, "segments_lost", "refuse to open: the checkpoint says synced data existed"},
    {RecoveryRow::bad_layout, "bad_layout", "refuse to open: name the segment"},
    {RecoveryRow::clean_shutdown, "clean_shutdown", "validate and re-dispatch from checkpoint.dispatched"},
    {RecoveryRow::crash, "crash", "validate (CRC) and re-dispatch from checkpoint.dispatched"},
    {RecoveryRow::no_checkpoint, "no_checkpoint", "validate the whole log; rebuild every queue and index"},
    {RecoveryRow::torn_tail, "torn_tail", "truncate the log at the first bad record; remove later segments"},
    {RecoveryRow::corrupt_durable, "corrupt_durable",
     "refuse to open (truncate_corrupt_commit_log: truncate and report the bytes lost)"},
    {RecoveryRow::queue_truncated, "queue_truncated", "cut units at or past checkpoint.dispatched; re-dispatch"},
    {RecoveryRow::queues_rebuilt, "queues_rebuilt", "remove every queue; dispatch the whole log again"},
    {RecoveryRow::index_rebuilt, "index_rebuilt", "delete the file; index again from its first offset"},
    {RecoveryRow::index_truncated, "index_truncated",
     "cut the file's entries at checkpoint.dispatched, recompute its slots; index again from there"},
}};

std::string_view to_string(RecoveryRow r);

// ---- the decision, as pure functions over what recovery finds ----------------

// What recovery knows before it reads a record.
struct RecoveryInputs {
  bool layout_ok = true;     // segments aligned, contiguous, none oversized
  bool has_segments = false;
  bool checkpoint_valid = false;
  int64_t checkpoint_flushed = 0;     // when valid
  int64_t checkpoint_dispatched = 0;  // when valid
  bool abort_file = false;            // the last run did not shut down cleanly
  // The log (when has_segments): its first byte, the end of its data, and
  // the end of its last segment (start + segment size).
  int64_t log_min = 0;
  int64_t data_end = 0;
  int64_t last_segment_end = 0;
};

// Where recovery starts, and the rows that say why.
struct RecoveryStart {
  std::vector<RecoveryRow> rows;  // one of: bad_layout, segments_lost, fresh, clean_shutdown, crash, no_checkpoint
  bool refuse = false;            // bad_layout or segments_lost: the store does not open
  int64_t scan_from = 0;          // validate and re-dispatch from here
  int64_t trusted = 0;            // below this a bad record is corruption, not a torn tail
  bool rebuild_queues = false;    // no checkpoint: every ConsumeQueue rebuilt from the log
};
RecoveryStart recovery_start(const RecoveryInputs& in);

// The row for where the scan of the log stopped: none when it reached the
// end of the data, torn_tail at or past `trusted`, corrupt_durable below.
std::optional<RecoveryRow> recovery_end(bool reached_end_of_data, int64_t stop_offset, int64_t trusted);

// One index file, in name order, as recovery finds it: unreadable, or the
// CommitLog span its entries cover.
struct IndexFileFound {
  bool readable = false;
  int64_t begin = 0;  // begin_phy_offset
  int64_t end = 0;    // end_phy_offset
};
enum class IndexFileAction {
  keep,      // complete before `dispatched`: kept as it is
  truncate,  // begins before `dispatched`, reaches it: cut there (index_truncated)
  rebuild,   // the first that can be neither: deleted, indexed again (index_rebuilt)
  remove,    // after a cut or rebuilt one: deleted (its entries are indexed again with it)
};
// `after_cut`: an earlier file was cut or rebuilt. (A cut that fails on the
// disk falls back to rebuild.)
IndexFileAction index_file_action(const IndexFileFound& f, int64_t dispatched, bool after_cut);
// The row an action reports, if any.
std::optional<RecoveryRow> row_of(IndexFileAction a);

struct RecoveryReport {
  std::vector<RecoveryRow> rows;  // in the order applied
  int64_t scan_from = 0;          // where validation started
  int64_t log_end = 0;            // end of the valid log
  int64_t truncated_bytes = 0;    // cut from the log's tail
  std::string problem;            // the record that ended the log, if any
  int64_t records_dispatched = 0;
  bool has(RecoveryRow r) const {
    for (auto x : rows)
      if (x == r) return true;
    return false;
  }
  std::string summary() const;
};

}  // namespace rmq::store
