// MessageStore's opening: the decision (store/recovery.h) applied to the
// files, the ConsumeQueues and index files loaded, the log validated and
// re-dispatched.
#include "store/message_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/atomic_file.h"
#include "store/recovery.h"

namespace rmq::store {

using common::StoredMessage;

rt::Result<void> MessageStore::load_consume_queues() {
  const std::string root = cfg_.root_dir + "/consumequeue";
  auto exists = rt_.fs().exists(root);
  if (!exists) return exists.error();
  if (!*exists) return {};
  auto topics = rt_.fs().list(root);
  if (!topics) return topics.error();
  for (const auto& topic : *topics) {
    auto ids = rt_.fs().list(root + "/" + topic);
    if (!ids) continue;  // not a directory
    for (const auto& id : *ids) {
      int32_t qid = 0;
      bool ok = !id.empty() && id.size() <= 6;
      for (char c : id) ok = ok && c >= '0' && c <= '9';
      if (!ok) continue;
      qid = std::stoi(id);
      auto q = std::make_unique<ConsumeQueue>(rt_, cfg_.root_dir, topic, qid, cfg_.consume_queue_units_per_file);
      if (auto r = q->load(); !r) {
        // Rebuildable: start it over.
        rt_.log(rt::LogLevel::warn, "consume queue " + q->dir() + ": " + r.error().message() + "; rebuilding");
        if (auto rm = q->remove_all(); !rm) return rm;
        report_.rows.push_back(RecoveryRow::queues_rebuilt);
      }
      book_.queues()[topic][qid] = std::move(q);
    }
  }
  return {};
}

rt::Result<void> MessageStore::load_index_files(int64_t scan_from, int64_t& index_from) {
  index_from = scan_from;
  const std::string dir = cfg_.root_dir + "/index";
  if (auto r = rt_.fs().create_dirs(dir); !r) return r;
  auto names = rt_.fs().list(dir);
  if (!names) return names.error();
  std::vector<std::string> files;
  for (const auto& n : *names)
    if (n.size() == 17 && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      files.push_back(n);
  // Keep the leading files that were complete before the checkpoint, cut
  // the one that reaches it, delete the rest (index_file_action), and index
  // again from where the first cut or deleted one began.
  bool rebuilding = false;
  int64_t prev_end = log_.min_offset();
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = dir + "/" + files[i];
    const bool last = i + 1 == files.size();
    rt::Result<std::unique_ptr<IndexFile>> f = rt::Error(rt::Errc::invalid_argument, "not opened");
    IndexFileFound found;
    if (!rebuilding) {
      f = IndexFile::open(rt_.fs(), path, cfg_.max_hash_slot_num, cfg_.max_index_num, last);
      found = f ? IndexFileFound{true, (*f)->header().begin_phy_offset, (*f)->header().end_phy_offset}
                : IndexFileFound{};
    }
    IndexFileAction action = index_file_action(found, scan_from, rebuilding);
    if (action == IndexFileAction::keep) {
      prev_end = found.end + 1;
      book_.index_files().push_back(std::move(*f));
      continue;
    }
    if (action != IndexFileAction::remove) rebuilding = true;
    if (action == IndexFileAction::truncate) {
      if (auto resume = (*f)->truncate_at(scan_from); resume) {
        book_.index_files().push_back(std::move(*f));
        index_from = std::min(index_from, *resume);
        report_.rows.push_back(*row_of(action));
        continue;
      } else {
        rt_.log(rt::LogLevel::warn, "index file " + path + " cannot be cut at the checkpoint (" +
                                        resume.error().message() + "); rebuilding it");
        action = IndexFileAction::rebuild;
      }
    }
    if (action == IndexFileAction::rebuild) {
      index_from = std::min(scan_from, found.readable ? found.begin : prev_end);
      report_.rows.push_back(*row_of(action));
    }
    if (auto r = rt_.fs().remove(path); !r) return r;
  }
  if (rebuilding) {
    if (auto r = rt_.fs().sync_dir(dir); !r) return r;
  }
  index_from = std::max(index_from, log_.min_offset());
  // The last kept file is not reopened as writable if full; a new one
  // starts at the next put.
  return {};
}

rt::Result<void> MessageStore::recover() {
  auto& fs = rt_.fs();
  // Durable up to the file system's root: a power loss right after the
  // first start must not take the store, acknowledged messages and all.
  if (auto r = common::create_durable_dir(fs, cfg_.root_dir); !r) return r;
  const std::string abort_path = cfg_.root_dir + "/abort";
  auto abort_exists = fs.exists(abort_path);
  if (!abort_exists) return abort_exists.error();
  auto cp = Checkpoint::open(fs, cfg_.root_dir + "/checkpoint");
  if (!cp) return cp.error();
  checkpoint_ = std::move(*cp);
  auto saved = checkpoint_->load();
  if (!saved) return saved.error();

  auto opened = log_.open_segments();
  RecoveryInputs in;
  in.layout_ok = opened.ok();
  in.has_segments = in.layout_ok && !log_.empty();
  in.checkpoint_valid = saved->has_value();
  if (in.checkpoint_valid) {
    in.checkpoint_flushed = (*saved)->flushed_offset;
    in.checkpoint_dispatched = (*saved)->dispatched_offset;
  }
  in.abort_file = *abort_exists;
  if (in.has_segments) {
    in.log_min = log_.min_offset();
    in.data_end = log_.data_end();
    in.last_segment_end = log_.segment_starts().back() + static_cast<int64_t>(log_.segment_bytes());
  } else if (in.layout_ok) {
    in.log_min = in.data_end = in.last_segment_end = log_.min_offset();
  }
  const RecoveryStart start = recovery_start(in);
  report_.rows = start.rows;
  if (!opened) return opened.error();
  if (start.refuse)
    return rt::Error(rt::Errc::invalid_argument,
                     fmt::format("{}/commitlog has no segments but the checkpoint says {} bytes were synced; "
                                 "refusing to start on a store that lost its log",
                                 cfg_.root_dir, in.checkpoint_flushed));
  const int64_t scan_from = start.scan_from;
  const int64_t trusted = start.trusted;
  // A valid checkpoint position is a record boundary; without one, queues
  // are rebuilt from the log.
  if (auto r = load_consume_queues(); !r) return r;
  const bool rebuild_queues = start.rebuild_queues;
  if (!rebuild_queues) {
    for (auto& [topic, qs] : book_.queues()) {
      for (auto& [qid, q] : qs) {
        const int64_t before = q->max_offset();
        if (auto r = q->truncate_below_phys(scan_from); !r) return r;
        if (q->max_offset() != before && !report_.has(RecoveryRow::queue_truncated))
          report_.rows.push_back(RecoveryRow::queue_truncated);
      }
    }
  }
  int64_t index_from = scan_from;
  if (cfg_.message_index_enable) {
    if (auto r = load_index_files(rebuild_queues ? log_.min_offset() : scan_from, index_from); !r) return r;
  }
  const int64_t first = std::min(scan_from, index_from);
  report_.scan_from = first;

  // Validate and re-dispatch.
  if (rebuild_queues) {
    for (auto& [topic, qs] : book_.queues())
      for (auto& [qid, q] : qs)
        if (auto r = q->remove_all(); !r) return r;
  }
  bool mismatch = false;
  auto on_record = [&](const StoredMessage& m, int64_t offset, uint32_t size) {
    // index_from <= scan_from: below scan_from only the index is rebuilt.
    const auto mode = offset < scan_from ? QueueBook::DispatchMode::index_only
                                         : QueueBook::DispatchMode::recovery_queues_and_index;
    if (!book_.dispatch_record(m, offset, size, mode)) mismatch = true;
    ++report_.records_dispatched;
  };
  auto scanned = log_.scan(first, cfg_.check_crc_on_recover, on_record);
  if (!scanned) return scanned.error();
  const ScanEnd end = *scanned;
  report_.log_end = end.offset;
  const std::optional<RecoveryRow> end_row =
      recovery_end(end.kind == ScanEnd::Kind::end_of_data, end.offset, trusted);
  if (end_row) {
    report_.problem = fmt::format("at commitlog offset {}: {}", end.offset, end.problem);
    report_.rows.push_back(*end_row);
    if (*end_row == RecoveryRow::corrupt_durable) {
      if (!cfg_.truncate_corrupt_commit_log)
        return rt::Error(rt::Errc::io_error,
                         fmt::format("{}/commitlog is corrupt at offset {} (segment {}, position {}): {}; the "
                                     "checkpoint says data up to {} was synced, so this is not a torn tail. "
                                     "Refusing to start; set truncateCorruptCommitLog=true to cut the log there "
                                     "and lose {} bytes",
                                     cfg_.root_dir, end.offset,
                                     segment_file_name(end.offset - end.offset % static_cast<int64_t>(cfg_.commit_log_segment_bytes)),
                                     end.offset % static_cast<int64_t>(cfg_.commit_log_segment_bytes), end.problem,
                                     trusted, log_.data_end() - end.offset));
      rt_.log(rt::LogLevel::error, "store: cutting a corrupt commitlog: " + report_.problem);
    }
  }
  report_.truncated_bytes = std::max<int64_t>(0, log_.data_end() - end.offset);
  if (end.kind != ScanEnd::Kind::end_of_data || report_.truncated_bytes > 0) {
    if (auto r = log_.truncate_to(end.offset); !r) return r;
  } else {
    log_.set_positions(end.offset);
  }
  // What recovery keeps must be durable before anything is dispatched from
  // it (after a process crash it may still be only in the page cache).
  if (auto r = log_.sync_from(first); !r) return r;

  if (mismatch) {
    // A queue does not line up with the log: rebuild every queue from it.
    report_.rows.push_back(RecoveryRow::queues_rebuilt);
    for (auto& [topic, qs] : book_.queues())
      for (auto& [qid, q] : qs)
        if (auto r = q->remove_all(); !r) return r;
    book_.clear_queue_offsets();
    auto again = log_.scan(log_.min_offset(), false, [&](const StoredMessage& m, int64_t offset, uint32_t size) {
      (void)book_.dispatch_record(m, offset, size, QueueBook::DispatchMode::queues_only);
    });
    if (!again) return again.error();
  }
  if (auto r = book_.write_dispatched(/*all_index=*/true); !r) return r;
  dispatched_ = log_.written();
  book_.clear_grown();
  for (auto& [topic, qs] : book_.queues())
    for (auto& [qid, q] : qs)
      if (auto r = q->correct_min_offset(log_.min_offset()); !r) return r;
  book_.raise_queue_offsets();
  if (auto r = flush_queues_and_checkpoint(); !r) return r;
  // From here on the store is running: a crash is an abnormal shutdown.
  auto abort_file = fs.open(abort_path, rt::OpenMode::create);
  if (!abort_file) return abort_file.error();
  return fs.sync_dir(cfg_.root_dir);
}

}  // namespace rmq::store
