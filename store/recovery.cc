#include "store/recovery.h"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/assert.h"

namespace rmq::store {

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

RecoveryStart recovery_start(const RecoveryInputs& in) {
  RecoveryStart out;
  if (!in.layout_ok) {
    out.rows = {RecoveryRow::bad_layout};
    out.refuse = true;
    return out;
  }
  if (!in.has_segments) {
    // A checkpoint that saw synced bytes with no log left: the log was lost.
    const bool lost = in.checkpoint_valid && in.checkpoint_flushed > 0;
    out.rows = {lost ? RecoveryRow::segments_lost : RecoveryRow::fresh};
    out.refuse = lost;
    out.scan_from = out.trusted = in.log_min;
    return out;
  }
  // What CommitLog::open_segments guarantees of a layout it accepts.
  RMQ_ASSERT(in.log_min <= in.data_end);
  RMQ_ASSERT(in.data_end <= in.last_segment_end);
  if (!in.checkpoint_valid) {
    out.rows = {RecoveryRow::no_checkpoint};
    out.scan_from = out.trusted = in.log_min;
    out.rebuild_queues = true;
    return out;
  }
  out.rows = {in.abort_file ? RecoveryRow::crash : RecoveryRow::clean_shutdown};
  // A checkpoint may stand at the end of a last segment closed by its blank
  // record: the blank's header is in the file, the rest is not. Anything
  // else past the data (the log lost its tail) or before the log (retention
  // removed it) is clamped into the log.
  const int64_t upper = in.checkpoint_dispatched == in.last_segment_end ? in.last_segment_end : in.data_end;
  out.scan_from = std::clamp(in.checkpoint_dispatched, in.log_min, upper);
  out.trusted = std::max(in.checkpoint_flushed, out.scan_from);
  RMQ_ASSERT(out.scan_from >= in.log_min);
  RMQ_ASSERT(out.scan_from <= out.trusted);
  return out;
}

std::optional<RecoveryRow> recovery_end(bool reached_end_of_data, int64_t stop_offset, int64_t trusted) {
  if (reached_end_of_data) return std::nullopt;
  return stop_offset < trusted ? RecoveryRow::corrupt_durable : RecoveryRow::torn_tail;
}

IndexFileAction index_file_action(const IndexFileFound& f, int64_t dispatched, bool after_cut) {
  if (after_cut) return IndexFileAction::remove;
  if (!f.readable) return IndexFileAction::rebuild;
  if (f.end < dispatched) return IndexFileAction::keep;
  if (f.begin < dispatched) return IndexFileAction::truncate;
  return IndexFileAction::rebuild;
}

std::optional<RecoveryRow> row_of(IndexFileAction a) {
  switch (a) {
    case IndexFileAction::truncate: return RecoveryRow::index_truncated;
    case IndexFileAction::rebuild: return RecoveryRow::index_rebuilt;
    case IndexFileAction::keep:
    case IndexFileAction::remove: return std::nullopt;
  }
  RMQ_UNREACHABLE("bad enum value");
}

}  // namespace rmq::store
