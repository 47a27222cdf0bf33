#include "fuzz/store_recovery_oracle.h"

#include <algorithm>

#include "common/big_endian.h"
#include "store/commit_log.h"

namespace rmq::fuzz {

namespace {

uint32_t le_word(std::span<const uint8_t> in, size_t at, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(at + i < in.size() ? in[at + i] : 0) << (8 * i);
  return v;
}

std::vector<std::byte> copy_bytes(std::span<const uint8_t> in) {
  std::vector<std::byte> out(in.size());
  std::transform(in.begin(), in.end(), out.begin(), [](uint8_t b) { return std::byte{b}; });
  return out;
}

}  // namespace

StoreImage decode_input(std::span<const uint8_t> input) {
  const uint32_t flags = le_word(input, 0, 1);
  const uint32_t flags2 = le_word(input, 1, 1);
  StoreImage image;
  store::StoreConfig& c = image.config;
  c.root_dir = kStoreRoot;
  c.commit_log_segment_bytes = kSegmentBytes;
  c.consume_queue_units_per_file = 64;
  c.max_hash_slot_num = 64;
  c.max_index_num = 256;
  c.max_message_size = 16 * 1024;
  c.truncate_corrupt_commit_log = (flags & 0x01) != 0;
  c.check_crc_on_recover = (flags & 0x20) == 0;
  c.message_index_enable = (flags & 0x40) == 0;
  c.flush_disk_type = (flags2 & 0x01) != 0 ? store::FlushDiskType::async_flush : store::FlushDiskType::sync_flush;
  image.abort_file = (flags & 0x04) != 0;
  image.snapped = (flags & 0x80) == 0;
  image.dispatched_word = le_word(input, 4, 4);
  image.flushed_word = le_word(input, 8, 4);

  const std::span<const uint8_t> log = input.size() > kInputHeaderBytes ? input.subspan(kInputHeaderBytes)
                                                                        : std::span<const uint8_t>{};
  const bool two_segments = (flags & 0x08) != 0;
  const bool close_with_blank = (flags & 0x10) != 0;
  if (!two_segments) {
    if (!log.empty()) image.segments[0] = copy_bytes(log.first(std::min<size_t>(log.size(), kSegmentBytes)));
  } else {
    const size_t room = close_with_blank ? kSegmentBytes - store::kBlankRecordBytes : kSegmentBytes;
    const size_t split = std::min<size_t>({le_word(input, 2, 2), log.size(), room});
    auto& seg0 = image.segments[0];
    seg0 = copy_bytes(log.first(split));
    if (close_with_blank) {
      seg0.resize(split + store::kBlankRecordBytes);
      common::put_i32(seg0.data() + split, static_cast<int32_t>(kSegmentBytes - split));
      common::put_i32(seg0.data() + split + 4, common::kBlankMagic);
    }
    const auto rest = log.subspan(split);
    image.segments[static_cast<int64_t>(kSegmentBytes)] =
        copy_bytes(rest.first(std::min<size_t>(rest.size(), kSegmentBytes)));
  }
  if ((flags & 0x02) != 0) {
    store::CheckpointData d;
    d.physic_msg_timestamp = d.logics_msg_timestamp = d.index_msg_timestamp = 1700000000000;
    d.dispatched_offset = image.dispatched_word;
    d.flushed_offset = d.confirm_offset = image.flushed_word;
    image.checkpoint = d;  // snapped: replaced by snap_checkpoint()
  }
  return image;
}

Oracle walk(const std::map<int64_t, std::vector<std::byte>>& segments, bool check_crc) {
  const auto seg = static_cast<int64_t>(kSegmentBytes);
  Oracle o;
  int64_t pos = 0;
  const auto stop = [&](bool clean, std::string problem) {
    o.end = pos;
    o.clean_end = clean;
    o.problem = std::move(problem);
    o.boundaries.push_back(pos);
    return o;
  };
  for (;;) {
    const int64_t start = pos - pos % seg;
    auto it = segments.find(start);
    if (it == segments.end()) return stop(true, "");
    const auto& bytes = it->second;
    const int64_t file_end = start + static_cast<int64_t>(bytes.size());
    // Fewer than 8 bytes left in a segment hold no record and no blank: the
    // segment is closed there (unless nothing follows at all).
    if (pos > start && start + seg - pos < static_cast<int64_t>(store::kBlankRecordBytes) &&
        (pos < file_end || std::next(it) != segments.end())) {
      o.boundaries.push_back(pos);
      pos = start + seg;
      continue;
    }
    if (pos >= file_end) {
      if (std::next(it) == segments.end()) return stop(true, "");
      return stop(false, "segment ends without a closing blank record");
    }
    const std::span<const std::byte> rest(bytes.data() + (pos - start), static_cast<size_t>(file_end - pos));
    auto d = common::decode_stored(rest, {.check_crc = check_crc, .expected_physical_offset = pos});
    switch (d.status) {
      case common::RecordStatus::ok: {
        // Topic, queue id and queue offset must be ones the store writes.
        if (auto why = store::record_problem(*d.message); !why.empty()) return stop(false, why);
        o.boundaries.push_back(pos);
        const bool crc_ok = common::body_crc(d.message->body) == d.message->body_crc;
        o.records.push_back(OracleRecord{pos, d.size, std::move(*d.message), crc_ok});
        pos += d.size;
        break;
      }
      case common::RecordStatus::blank:
        if (pos + d.size != start + seg) return stop(false, "blank record does not end the segment");
        o.boundaries.push_back(pos);
        pos = start + seg;
        break;
      case common::RecordStatus::incomplete: return stop(false, "record cut short");
      case common::RecordStatus::corrupt: return stop(false, d.problem);
    }
  }
}

void snap_checkpoint(StoreImage& image, const Oracle& oracle) {
  if (!image.checkpoint) return;
  std::vector<int64_t> candidates = oracle.boundaries;
  if (candidates.empty()) candidates.push_back(0);
  auto& d = *image.checkpoint;
  d.dispatched_offset = candidates[image.dispatched_word % candidates.size()];
  d.flushed_offset = d.confirm_offset =
      d.dispatched_offset + static_cast<int64_t>(image.flushed_word % (2 * kSegmentBytes + 1));
}

QueueModel model_queues(const Oracle& oracle, int64_t from) {
  QueueModel m;
  // One dispatch pass: an empty queue may start at any offset, after that
  // offsets must follow each other.
  const auto pass = [&](int64_t pass_from) {
    bool consistent = true;
    for (size_t i = 0; i < oracle.records.size(); ++i) {
      const auto& r = oracle.records[i];
      if (r.offset < pass_from || !common::takes_queue_slot(r.message.sys_flag)) continue;
      const QueueKey q{r.message.topic, r.message.queue_id};
      auto next = m.next.find(q);
      if (next != m.next.end() && next->second != r.message.queue_offset) {
        consistent = false;
        continue;
      }
      m.units[UnitKey{q.first, q.second, r.message.queue_offset}] = i;
      m.next[q] = r.message.queue_offset + 1;
    }
    return consistent;
  };
  m.consistent = pass(from);
  if (!m.consistent) {
    m.units.clear();
    m.next.clear();
    (void)pass(0);
  }
  return m;
}

bool checkpoint_loads(const StoreImage& image) {
  return image.checkpoint && image.checkpoint->dispatched_offset >= 0 &&
         image.checkpoint->dispatched_offset <= image.checkpoint->flushed_offset;
}

bool must_refuse(const StoreImage& image, const Oracle& oracle) {
  if (!checkpoint_loads(image)) return false;
  if (image.segments.empty()) return image.checkpoint->flushed_offset > 0;
  if (oracle.clean_end || image.config.truncate_corrupt_commit_log) return false;
  const int64_t trusted = std::max(image.checkpoint->flushed_offset, image.checkpoint->dispatched_offset);
  return oracle.end < trusted;
}

}  // namespace rmq::fuzz
