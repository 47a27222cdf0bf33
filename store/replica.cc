// MessageStore's replication side: a slave appending the master's log bytes,
// and a master reading them back for its slaves (store/ha uses both).
#include <fmt/format.h>

#include <algorithm>

#include "common/big_endian.h"
#include "runtime/assert.h"
#include "store/message_store.h"

namespace rmq::store {

int64_t MessageStore::replica_position() const {
  return replica_received_ < 0 ? log_.appended() : replica_received_;
}

void MessageStore::reset_replica_tail() {
  replica_tail_.clear();
  replica_received_ = log_.appended();
}

rt::Result<void> MessageStore::append_replicated(int64_t offset, std::span<const std::byte> data) {
  RMQ_ASSERT(cfg_.replica);
  if (failure_) return rt::Error(rt::Errc::io_error, "store failed: " + failure_->message());
  if (closing_) return rt::Error(rt::Errc::closed, "store is shutting down");
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  if (log_.empty() && log_.appended() == 0 && replica_tail_.empty() && offset != 0) {
    // A new slave: the master streams from the start of its last segment.
    if (offset % seg != 0)
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("the master's stream starts at {}, not at a segment start", offset));
    log_.start_at(offset);
    replica_received_ = offset;
  }
  if (offset != replica_position())
    return rt::Error(rt::Errc::invalid_argument,
                     fmt::format("the master sends offset {} but this slave is at {}", offset, replica_position()));
  // Bytes below appended() are the zeros after a closing blank record.
  int64_t pos = offset;
  size_t skip = pos < log_.appended() ? static_cast<size_t>(std::min<int64_t>(log_.appended() - pos,
                                                                              static_cast<int64_t>(data.size())))
                                      : 0;
  replica_tail_.insert(replica_tail_.end(), data.begin() + static_cast<ptrdiff_t>(skip), data.end());
  replica_received_ = offset + static_cast<int64_t>(data.size());

  // Append every whole record of the tail.
  size_t at = 0;
  bool appended_any = false;
  rt::Result<void> result;
  while (at < replica_tail_.size()) {
    pos = log_.appended();
    const int64_t seg_end = pos - pos % seg + seg;
    const size_t rest = replica_tail_.size() - at;
    if (seg_end - pos < static_cast<int64_t>(kBlankRecordBytes)) {
      // No record or blank fits: the segment ends here.
      log_.append_copied({}, true);
      at += static_cast<size_t>(std::min<int64_t>(seg_end - pos, static_cast<int64_t>(rest)));
      appended_any = true;
      continue;
    }
    if (rest >= 4) {
      const int64_t size = common::get_i32(replica_tail_.data() + at);
      if (size < static_cast<int64_t>(kBlankRecordBytes) || pos + size > seg_end) {
        result = rt::Error(rt::Errc::io_error,
                           fmt::format("replicated record at {} claims {} bytes, beyond its segment's end {}", pos,
                                       size, seg_end));
        break;
      }
    }
    std::span<const std::byte> bytes(replica_tail_.data() + at, rest);
    auto d = common::decode_stored(bytes, {.check_crc = true, .expected_physical_offset = pos});
    if (d.status == common::RecordStatus::incomplete) break;
    if (d.status == common::RecordStatus::ok) {
      if (auto why = record_problem(*d.message); !why.empty()) {
        d.status = common::RecordStatus::corrupt;
        d.problem = why;
      }
    }
    if (d.status == common::RecordStatus::blank && pos + d.size != seg_end) {
      d.status = common::RecordStatus::corrupt;
      d.problem = fmt::format("blank record of {} bytes does not end the segment", d.size);
    }
    if (d.status == common::RecordStatus::corrupt) {
      result = rt::Error(rt::Errc::io_error, fmt::format("replicated record at {} is corrupt: {}", pos, d.problem));
      break;
    }
    if (d.status == common::RecordStatus::blank) {
      log_.append_copied(bytes.first(kBlankRecordBytes), true);
      at += static_cast<size_t>(std::min<int64_t>(d.size, static_cast<int64_t>(rest)));
    } else {
      log_.append_copied(bytes.first(d.size), false);
      at += d.size;
    }
    appended_any = true;
  }
  replica_tail_.erase(replica_tail_.begin(), replica_tail_.begin() + static_cast<ptrdiff_t>(at));
  if (appended_any) work_.set();
  return result;
}

int64_t MessageStore::replicable() const {
  return cfg_.flush_disk_type == FlushDiskType::sync_flush ? log_.synced() : log_.written();
}

// Until position() reaches `end`: written_evt_ is set whenever `written`
// or (SYNC_FLUSH) `synced` moves, and on the store's failure.
template <typename Position>
rt::Result<void> MessageStore::wait_for_position(int64_t end, rt::Duration timeout, Position position) {
  const rt::Instant deadline = rt::deadline_after(rt_.now(), timeout);
  while (!failure_ && position() < end) {
    written_evt_.reset();
    if (auto r = written_evt_.wait(deadline - rt_.now()); !r) return r;
  }
  if (failure_) return *failure_;
  return {};
}

rt::Result<void> MessageStore::wait_written(int64_t end, rt::Duration timeout) {
  return wait_for_position(end, timeout, [this] { return log_.written(); });
}

rt::Result<void> MessageStore::wait_replicable(int64_t end, rt::Duration timeout) {
  return wait_for_position(end, timeout, [this] { return replicable(); });
}

rt::Result<std::vector<std::byte>> MessageStore::read_log(int64_t offset, size_t max) {
  std::vector<std::byte> out;
  const int64_t written = replicable();
  if (offset >= written) return out;
  if (offset < log_.min_offset())
    return rt::Error(rt::Errc::not_found,
                     fmt::format("commitlog offset {} is below the log's start {}", offset, log_.min_offset()));
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  const int64_t seg_end = offset - offset % seg + seg;
  const auto n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(max), std::min(written, seg_end) - offset));
  out.resize(n);
  auto got = log_.read(offset, out, CommitLog::ReadCare::agreed);
  if (!got) return got.error();
  if (*got < n) {
    // Only a segment closed by its blank record ends before its size.
    if (written < seg_end)
      return rt::Error(rt::Errc::io_error,
                       fmt::format("commitlog segment holding {} is shorter than the written position {}", offset,
                                   written));
    std::fill(out.begin() + static_cast<ptrdiff_t>(*got), out.end(), std::byte{0});
  }
  return out;
}

}  // namespace rmq::store
