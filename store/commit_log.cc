#include "store/commit_log.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/atomic_file.h"
#include "common/big_endian.h"
#include "runtime/assert.h"
#include "store/agreed_read.h"

namespace rmq::store {

namespace {
constexpr size_t kScanChunkBytes = 4 * 1024 * 1024;
constexpr int kReadAttempts = 3;
}  // namespace

std::string segment_file_name(int64_t start) { return fmt::format("{:020d}", start); }

std::optional<int64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != 20) return std::nullopt;
  int64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (INT64_MAX - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string record_problem(const common::StoredMessage& m) {
  if (!common::valid_topic_name(m.topic)) return fmt::format("topic '{}' is not a valid topic name", m.topic);
  if (m.queue_id < 0 || m.queue_id > kQueueIdMax) return fmt::format("queue id {} out of range", m.queue_id);
  if (m.queue_offset < 0 || m.queue_offset > kQueueOffsetMax)
    return fmt::format("queue offset {} out of range", m.queue_offset);
  return {};
}

CommitLog::CommitLog(rt::Runtime& rt, const StoreConfig& cfg)
    : rt_(rt), cfg_(cfg), dir_(cfg.root_dir + "/commitlog") {
  RMQ_ASSERT(cfg.commit_log_segment_bytes > 4096);
  if (auto h = common::parse_host_port4(cfg.store_host)) store_host_ = *h;
}

rt::Result<void> CommitLog::open_segments() {
  if (auto r = common::create_durable_dir(rt_.fs(), dir_); !r) return r;
  auto names = rt_.fs().list(dir_);
  if (!names) return names.error();
  segments_.clear();
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  for (const auto& name : *names) {
    auto start = parse_segment_file_name(name);
    if (!start) {
      rt_.log(rt::LogLevel::warn, "commitlog: ignoring " + dir_ + "/" + name + " (not a segment name)");
      continue;
    }
    if (*start % seg != 0)
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("commitlog segment {} is not aligned to the segment size {} (was the size changed?)",
                                   name, seg));
    if (!segments_.empty() && segments_.rbegin()->first + seg != *start)
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("commitlog segments are not contiguous: {} follows {}", name,
                                   segment_file_name(segments_.rbegin()->first)));
    auto f = rt_.fs().open(dir_ + "/" + name, rt::OpenMode::existing);
    if (!f) return f.error();
    auto size = (*f)->size();
    if (!size) return size.error();
    if (*size > cfg_.commit_log_segment_bytes)
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("commitlog segment {} has {} bytes, more than the segment size {}", name, *size,
                                   seg));
    segments_[*start].file = std::shared_ptr<rt::File>(std::move(*f));
  }
  return {};
}

int64_t CommitLog::min_offset() const { return segments_.empty() ? 0 : segments_.begin()->first; }

int64_t CommitLog::data_end() const {
  if (segments_.empty()) return 0;
  const auto& [start, s] = *segments_.rbegin();
  if (!s.file) return start;
  auto size = s.file->size();
  return start + static_cast<int64_t>(size ? *size : 0);
}

int64_t CommitLog::segment_start_of(int64_t offset) const {
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  return offset - offset % seg;
}

rt::Result<ScanEnd> CommitLog::scan(int64_t from, bool check_crc, const RecordFn& fn) {
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  ScanEnd end;
  end.offset = from;
  if (segments_.empty()) return end;
  int64_t pos = from;
  std::vector<std::byte> buf;
  size_t min_want = kScanChunkBytes;  // grows for a record larger than a chunk
  while (true) {
    const int64_t seg_start = segment_start_of(pos);
    auto it = segments_.find(seg_start);
    if (it == segments_.end()) {
      // Past the last segment (or exactly at the start of a missing next one).
      end.kind = ScanEnd::Kind::end_of_data;
      end.offset = pos;
      return end;
    }
    auto file = it->second.file;
    auto size = file->size();
    if (!size) return size.error();
    const int64_t file_end = seg_start + static_cast<int64_t>(*size);
    if (pos >= file_end && std::next(it) != segments_.end() &&
        seg_start + seg - pos < static_cast<int64_t>(kBlankRecordBytes)) {
      pos = seg_start + seg;  // closed: no record or blank fits in what is left
      continue;
    }
    if (pos >= file_end) {
      // Nothing more in this segment. Later segments without a blank record
      // closing this one are not trusted.
      end.offset = pos;
      if (std::next(it) == segments_.end()) {
        end.kind = ScanEnd::Kind::end_of_data;
      } else {
        end.kind = ScanEnd::Kind::torn;
        end.problem = fmt::format("segment {} ends at {} without a closing blank record",
                                  segment_file_name(seg_start), pos - seg_start);
      }
      return end;
    }
    const size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(min_want), file_end - pos));
    min_want = kScanChunkBytes;
    buf.resize(want);
    // What the scan accepts becomes queue and index state: read it twice.
    auto n = read_agreed(*file, static_cast<uint64_t>(pos - seg_start), buf);
    if (!n) return n.error();
    const bool short_read = *n < want;
    buf.resize(*n);
    size_t at = 0;
    bool advanced_segment = false;
    while (at < buf.size()) {
      const int64_t rec_off = pos + static_cast<int64_t>(at);
      std::span<const std::byte> rest(buf.data() + at, buf.size() - at);
      common::DecodedRecord d;
      if (seg_start + seg - rec_off < static_cast<int64_t>(kBlankRecordBytes)) {
        // Too little room for any record or blank: the segment ends here
        // (a log written elsewhere may stop short of its last 8 bytes).
        pos = seg_start + seg;
        advanced_segment = true;
        break;
      }
      for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
        d = common::decode_stored(rest, {.check_crc = check_crc, .expected_physical_offset = rec_off});
        if (d.status == common::RecordStatus::ok) {
          if (auto why = record_problem(*d.message); !why.empty()) {
            d.status = common::RecordStatus::corrupt;
            d.problem = why;
          }
        }
        if (d.status == common::RecordStatus::blank && rec_off + d.size != seg_start + seg) {
          d.status = common::RecordStatus::corrupt;
          d.problem = fmt::format("blank record of {} bytes does not end the segment", d.size);
        }
        const bool needs_more = d.status == common::RecordStatus::incomplete &&
                                rec_off + static_cast<int64_t>(rest.size()) < file_end;
        if (d.status == common::RecordStatus::ok || d.status == common::RecordStatus::blank || needs_more) break;
        // Corrupt, or cut short by the end of the data: re-read the rest of
        // the chunk, in case it was the read that went wrong.
        std::vector<std::byte> again(rest.size());
        auto m = read_agreed(*file, static_cast<uint64_t>(rec_off - seg_start), again);
        if (!m) return m.error();
        again.resize(*m);
        std::copy(again.begin(), again.end(), buf.begin() + static_cast<ptrdiff_t>(at));
        buf.resize(at + again.size());
        rest = std::span<const std::byte>(buf.data() + at, buf.size() - at);
      }
      if (d.status == common::RecordStatus::ok) {
        fn(*d.message, rec_off, d.size);
        at += d.size;
        continue;
      }
      if (d.status == common::RecordStatus::blank) {
        pos = seg_start + seg;
        advanced_segment = true;
        break;
      }
      if (d.status == common::RecordStatus::incomplete) {
        if (rec_off + static_cast<int64_t>(rest.size()) < file_end && !(at == 0 && short_read)) {
          // Read more, from this record on.
          if (at == 0)
            min_want = rest.size() >= 4 ? std::max<size_t>(static_cast<size_t>(common::get_i32(rest.data())), 8) : 8;
          break;
        }
        end.kind = ScanEnd::Kind::torn;
        end.offset = rec_off;
        end.problem = fmt::format("record cut short by the end of segment {} at {}", segment_file_name(seg_start),
                                  rec_off - seg_start);
        return end;
      }
      end.kind = ScanEnd::Kind::invalid;
      end.offset = rec_off;
      end.problem = d.problem;
      return end;
    }
    if (!advanced_segment) {
      if (buf.empty()) {
        end.kind = ScanEnd::Kind::torn;
        end.offset = pos;
        end.problem = "segment shorter than its reported size";
        return end;
      }
      pos += static_cast<int64_t>(at);
    }
  }
}

rt::Result<void> CommitLog::truncate_to(int64_t end) {
  RMQ_ASSERT(pending_.empty());
  const int64_t seg_start = segment_start_of(end);
  // Remove whole segments after the one holding `end` (and that one too if
  // `end` is its start and it is not the first).
  bool removed = false;
  while (!segments_.empty()) {
    auto last = std::prev(segments_.end());
    const bool beyond = last->first > seg_start || (last->first == end && end > 0 && last != segments_.begin());
    if (!beyond) break;
    const std::string path = dir_ + "/" + segment_file_name(last->first);
    last->second.file.reset();
    segments_.erase(last);
    if (auto r = rt_.fs().remove(path); !r) return r;
    removed = true;
  }
  if (removed) {
    if (auto r = rt_.fs().sync_dir(dir_); !r) return r;
  }
  if (auto it = segments_.find(seg_start); it != segments_.end() && it->second.file) {
    auto size = it->second.file->size();
    if (!size) return size.error();
    if (static_cast<int64_t>(*size) != end - seg_start) {
      if (auto r = it->second.file->truncate(static_cast<uint64_t>(end - seg_start)); !r) return r;
    }
    if (auto r = it->second.file->sync(); !r) return r;
  }
  set_positions(end);
  return {};
}

void CommitLog::set_positions(int64_t end) {
  RMQ_ASSERT(pending_.empty());
  written_chunks_.clear();
  appended_ = written_ = synced_ = end;
  unsynced_segments_.clear();
}

rt::Result<void> CommitLog::sync_from(int64_t from) {
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  for (auto& [start, s] : segments_) {
    if (start + seg <= from || !s.file) continue;
    auto file = s.file;
    if (auto r = file->sync(); !r) return r;
  }
  return {};
}

int64_t CommitLog::append(common::StoredMessage& m) {
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  m.store_host = store_host_;
  const uint32_t size = common::stored_size(m);
  RMQ_ASSERT(size <= max_record_bytes());
  const int64_t seg_end = segment_start_of(appended_) + seg;
  const bool fresh_segment = segment_start_of(appended_) == appended_;
  if (!fresh_segment && appended_ + size + kBlankRecordBytes > seg_end) {
    // Close the segment: a blank record covering the rest of it, or, when
    // not even its header fits (a log written elsewhere), nothing.
    if (pending_.empty() || pending_.back().end != appended_) pending_.push_back(Chunk{appended_, {}, appended_});
    auto& c = pending_.back();
    if (seg_end - appended_ >= static_cast<int64_t>(kBlankRecordBytes)) {
      const size_t at = c.data.size();
      c.data.resize(at + kBlankRecordBytes);
      common::put_i32(c.data.data() + at, static_cast<int32_t>(seg_end - appended_));
      common::put_i32(c.data.data() + at + 4, common::kBlankMagic);
    }
    c.end = seg_end;
    appended_ = seg_end;
  }
  Chunk& c = chunk_at_append_position();
  m.physical_offset = appended_;
  common::encode_stored(m, c.data);
  appended_ += size;
  c.end = appended_;
  return m.physical_offset;
}

CommitLog::Chunk& CommitLog::chunk_at_append_position() {
  const int64_t start = segment_start_of(appended_);
  if (!segments_.contains(start)) segments_[start] = Segment{};
  // A chunk never crosses into the next segment.
  if (pending_.empty() || pending_.back().end != appended_ || start == appended_)
    pending_.push_back(Chunk{appended_, {}, appended_});
  return pending_.back();
}

void CommitLog::append_copied(std::span<const std::byte> record, bool closes_segment) {
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  const int64_t start = segment_start_of(appended_);
  RMQ_ASSERT(appended_ + static_cast<int64_t>(record.size()) <= start + seg);
  Chunk& c = chunk_at_append_position();
  c.data.insert(c.data.end(), record.begin(), record.end());
  appended_ = closes_segment ? start + seg : appended_ + static_cast<int64_t>(record.size());
  c.end = appended_;
}

void CommitLog::start_at(int64_t start) {
  RMQ_ASSERT(segments_.empty() && pending_.empty() && appended_ == written_);
  RMQ_ASSERT(start % static_cast<int64_t>(cfg_.commit_log_segment_bytes) == 0);
  appended_ = written_ = synced_ = start;
}

rt::Result<std::shared_ptr<rt::File>> CommitLog::segment_file(int64_t start, bool create) {
  auto it = segments_.find(start);
  if (it == segments_.end()) return rt::Error(rt::Errc::not_found, "no commitlog segment at " + std::to_string(start));
  if (it->second.file) return it->second.file;
  if (!create) return rt::Error(rt::Errc::not_found, "commitlog segment not created yet");
  if (auto r = rt_.fs().create_dirs(dir_); !r) return r.error();
  auto f = rt_.fs().open(dir_ + "/" + segment_file_name(start), rt::OpenMode::create);
  if (!f) return f.error();
  // The directory entry must be durable before anything in the file counts.
  if (auto r = rt_.fs().sync_dir(dir_); !r) return r.error();
  it = segments_.find(start);  // the map may have changed while suspended
  RMQ_ASSERT(it != segments_.end());
  if (!it->second.file) it->second.file = std::shared_ptr<rt::File>(std::move(*f));
  return it->second.file;
}

rt::Result<void> CommitLog::write_pending() {
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  while (!pending_.empty()) {
    std::vector<Chunk> chunks;
    chunks.swap(pending_);
    // A failed write (a full disk) leaves this chunk and the ones after it
    // pending, ahead of what was appended meanwhile: a retry writes the same
    // bytes at the same offsets.
    auto keep_from = [&](size_t i) {
      std::vector<Chunk> rest(std::make_move_iterator(chunks.begin() + static_cast<std::ptrdiff_t>(i)),
                              std::make_move_iterator(chunks.end()));
      for (auto& c : pending_) rest.push_back(std::move(c));
      pending_.swap(rest);
    };
    for (size_t i = 0; i < chunks.size(); ++i) {
      Chunk& c = chunks[i];
      RMQ_ASSERT(c.offset == written_ || segment_start_of(c.offset) == c.offset);
      const int64_t start = segment_start_of(c.offset);
      RMQ_ASSERT(c.offset + static_cast<int64_t>(c.data.size()) <= start + seg);
      if (!c.data.empty()) {
        auto f = segment_file(start, true);
        if (!f) {
          keep_from(i);
          return f.error();
        }
        if (auto r = (*f)->write_at(static_cast<uint64_t>(c.offset - start), c.data); !r) {
          keep_from(i);
          return r;
        }
        unsynced_segments_.insert(start);
      }
      // Past a closing blank `written` is the next segment's start, so a
      // sync (and a checkpoint) never names the blank's end (RMQ_ASSERT'd
      // record boundaries only).
      written_ = c.end;
      RMQ_ASSERT(synced_ <= written_ && written_ <= appended_);
      written_chunks_.push_back(std::move(c));
    }
  }
  return {};
}

std::vector<CommitLog::Chunk> CommitLog::take_written(int64_t limit) {
  std::vector<Chunk> out;
  while (!written_chunks_.empty() && written_chunks_.front().end <= limit) {
    out.push_back(std::move(written_chunks_.front()));
    written_chunks_.pop_front();
  }
  return out;
}

rt::Result<void> CommitLog::sync_written() {
  const int64_t target = written_;
  std::set<int64_t> segs;
  segs.swap(unsynced_segments_);
  for (int64_t start : segs) {
    auto it = segments_.find(start);
    if (it == segments_.end() || !it->second.file) continue;
    auto file = it->second.file;
    if (auto r = file->sync(); !r) {
      unsynced_segments_.insert(segs.begin(), segs.end());
      return r;
    }
  }
  if (target > synced_) synced_ = target;
  RMQ_ASSERT(synced_ <= written_ && written_ <= appended_);
  return {};
}

rt::Result<size_t> CommitLog::read(int64_t offset, rt::MutableBytes buf, ReadCare care) {
  const int64_t start = segment_start_of(offset);
  auto it = segments_.find(start);
  if (it == segments_.end() || !it->second.file)
    return rt::Error(rt::Errc::not_found, "no commitlog segment holds offset " + std::to_string(offset));
  auto file = it->second.file;  // keeps the file open if retention removes it meanwhile
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  const size_t n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(buf.size()), start + seg - offset));
  if (care == ReadCare::agreed) return read_agreed(*file, static_cast<uint64_t>(offset - start), buf.first(n));
  return file->read_at(static_cast<uint64_t>(offset - start), buf.first(n));
}

rt::Result<CommitLog::FileSlice> CommitLog::slice(int64_t offset, uint32_t size) const {
  const int64_t start = segment_start_of(offset);
  auto it = segments_.find(start);
  const auto seg = static_cast<int64_t>(cfg_.commit_log_segment_bytes);
  if (it == segments_.end() || !it->second.file || offset + size > written_ || offset + size > start + seg)
    return rt::Error(rt::Errc::not_found, fmt::format("no written commitlog segment holds [{}, {})", offset,
                                                      offset + size));
  return FileSlice{it->second.file, static_cast<uint64_t>(offset - start)};
}

rt::Result<std::vector<std::byte>> CommitLog::read_record(int64_t offset, uint32_t size, ReadCare care,
                                                          bool* bad_body_crc) {
  if (bad_body_crc) *bad_body_crc = false;
  std::vector<std::byte> out(size);
  std::string problem;
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    auto n = read(offset, out, care);
    if (!n) return n.error();
    if (*n != size) return rt::Error(rt::Errc::not_found, fmt::format("record at {} is cut short", offset));
    auto d = common::decode_stored(out, {.check_crc = true, .expected_physical_offset = offset});
    if (d.status == common::RecordStatus::ok && d.size == size) return out;
    problem = d.status == common::RecordStatus::ok ? fmt::format("record size {} != expected {}", d.size, size)
                                                   : d.problem;
  }
  if (bad_body_crc) {
    const auto whole = common::decode_stored(out, {.check_crc = false, .expected_physical_offset = offset});
    *bad_body_crc = whole.status == common::RecordStatus::ok && whole.size == size;
  }
  return rt::Error(rt::Errc::io_error, fmt::format("record at commitlog offset {} is corrupt: {}", offset, problem));
}

rt::Result<int64_t> CommitLog::store_timestamp_at(int64_t offset) {
  // STORETIMESTAMP sits after BORNHOST (reference 5.1).
  constexpr size_t kAt = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8;
  std::byte b[kAt + 8];
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    auto n = read(offset, b);
    if (!n) return n.error();
    if (*n != sizeof b) return rt::Error(rt::Errc::not_found, "short record");
    const int32_t magic = common::get_i32(b + 4);
    if ((magic == common::kMagicV1 || magic == common::kMagicV2) && common::get_i64(b + 28) == offset)
      return common::get_i64(b + kAt);
  }
  return rt::Error(rt::Errc::io_error, fmt::format("no record at commitlog offset {}", offset));
}

std::vector<int64_t> CommitLog::segment_starts() const {
  std::vector<int64_t> out;
  for (const auto& [start, s] : segments_) out.push_back(start);
  return out;
}

rt::Result<void> CommitLog::remove_first_segment() {
  if (segments_.size() < 2) return rt::Error(rt::Errc::invalid_argument, "the last commitlog segment is never removed");
  auto it = segments_.begin();
  RMQ_ASSERT(segment_start_of(appended_) != it->first);
  const std::string path = dir_ + "/" + segment_file_name(it->first);
  segments_.erase(it);
  if (auto r = rt_.fs().remove(path); !r) return r;
  return rt_.fs().sync_dir(dir_);
}

}  // namespace rmq::store
