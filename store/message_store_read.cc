// MessageStore's read side: pulls (get), records by offset or key, and
// what the broker asks of its queues.
#include "store/message_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/big_endian.h"
#include "common/message_const.h"
#include "common/numbers.h"

namespace rmq::store {

using common::StoredMessage;

namespace {

constexpr int kRecordReadAttemptsMax = 3;

}  // namespace

// ---------------------------------------------------------------------------
// Reads

rt::Result<StoredRecord> MessageStore::read_record_checked(int64_t phys, int32_t size, CommitLog::ReadCare care,
                                                           bool* bad_body_crc) {
  // read_record checks the body's CRC (re-reading on a mismatch): a record
  // whole but for it is damage on disk recovery did not look for
  // (checkCRCOnRecover=false), or a flipped bit on every read.
  auto bytes = log_.read_record(phys, static_cast<uint32_t>(size), care, bad_body_crc);
  if (!bytes) return bytes.error();
  auto d = common::decode_stored(*bytes, {.check_crc = false, .expected_physical_offset = phys});
  if (d.status != common::RecordStatus::ok) return rt::Error(rt::Errc::io_error, "record changed while read");
  return StoredRecord{std::move(*bytes), std::move(*d.message)};
}

GetResult MessageStore::get(const std::string& topic, int32_t queue_id, int64_t offset, int32_t max_count,
                            int64_t max_bytes, const TagFilter& filter, Transfer transfer) {
  GetResult res;
  ConsumeQueue* q = book_.find_queue(topic, queue_id);
  if (q == nullptr) {
    res.status = GetStatus::no_matched_logic_queue;
    res.next_begin_offset = 0;
    return res;
  }
  res.min_offset = q->min_offset();
  res.max_offset = q->max_offset();
  if (res.max_offset == 0) {
    res.status = GetStatus::no_message_in_queue;
    res.next_begin_offset = 0;
    return res;
  }
  if (offset < res.min_offset) {
    res.status = GetStatus::offset_too_small;
    res.next_begin_offset = res.min_offset;
    return res;
  }
  if (offset == res.max_offset) {
    res.status = GetStatus::offset_overflow_one;
    res.next_begin_offset = offset;
    return res;
  }
  if (offset > res.max_offset) {
    res.status = GetStatus::offset_overflow_badly;
    res.next_begin_offset = res.min_offset == 0 ? res.min_offset : res.max_offset;
    return res;
  }
  // Units are read a pull's worth at a time: most pulls take every unit
  // they read; filtered or removed ones make it read on, up to scan_units.
  const size_t scan_units = static_cast<size_t>(std::max(max_count, 1)) * 32 + 32;
  const size_t chunk_units = static_cast<size_t>(std::max(max_count, 1)) + 1;
  auto units = q->read(offset, std::min(chunk_units, scan_units));
  if (!units) {
    res.status = GetStatus::offset_found_null;
    const int64_t upf = cfg_.consume_queue_units_per_file;
    res.next_begin_offset = offset - offset % upf + upf;
    return res;
  }
  res.status = GetStatus::no_matched_message;
  int64_t next = offset;
  bool removed = false;
  for (size_t i = 0; i < scan_units; ++i) {
    if (i == units->size()) {
      // A short read ends the queue (or its file); a full one may go on.
      if (i % chunk_units != 0 || static_cast<int32_t>(res.items.size()) >= max_count) break;
      auto more = q->read(offset + static_cast<int64_t>(i), std::min(chunk_units, scan_units - i));
      if (!more || more->empty()) break;
      units->insert(units->end(), more->begin(), more->end());
    }
    CqUnit u = (*units)[i];
    const int64_t logical = offset + static_cast<int64_t>(i);
    if (static_cast<int32_t>(res.items.size()) >= max_count) break;
    if (!res.items.empty() && res.bytes + u.size > max_bytes) break;
    if (!u.valid() || u.phys_offset < log_.min_offset()) {
      removed = true;
      next = logical + 1;
      continue;
    }
    if (filter && !filter(u.tags_code)) {
      next = logical + 1;
      continue;
    }
    if (transfer == Transfer::file) {
      auto slice = log_.slice(u.phys_offset, static_cast<uint32_t>(u.size));
      if (!slice) {
        removed = true;
        next = logical + 1;
        continue;
      }
      auto& ranges = res.ranges;
      if (!ranges.empty() && ranges.back().file == slice->file &&
          ranges.back().offset + ranges.back().length == slice->file_offset)
        ranges.back().length += static_cast<uint64_t>(u.size);
      else
        ranges.push_back({std::move(slice->file), slice->file_offset, static_cast<uint64_t>(u.size)});
    } else {
      // The CRC covers only the body; the unit vouches for the rest. A record
      // that disagrees with its unit is read again, twice over, before it is
      // believed to be gone.
      const auto matches = [&](const StoredRecord& r) {
        return r.message.topic == topic && r.message.queue_id == queue_id && r.message.queue_offset == logical &&
               book_.unit_tags_code(r.message) == u.tags_code;
      };
      auto rec = read_record_checked(u.phys_offset, u.size);
      bool bad_crc = false;
      if (!rec || !matches(*rec))
        rec = read_record_checked(u.phys_offset, u.size, CommitLog::ReadCare::agreed, &bad_crc);
      if (bad_crc) {
        // Read twice over and still damaged: it is so on disk. Skipped, or
        // its consumer would ask for it for ever.
        rt_.log(rt::LogLevel::error, fmt::format("get {}-{}@{}: {}: damaged on disk; skipped", topic, queue_id, logical,
                                                 rec.error().detail()));
        removed = true;
        next = logical + 1;
        continue;
      }
      if (!rec && rec.error().code() != rt::Errc::not_found) {
        rt_.log(rt::LogLevel::error, fmt::format("get {}-{}@{}: {}", topic, queue_id, logical, rec.error().message()));
        break;  // stop here; the consumer retries from this offset
      }
      if (!rec || !matches(*rec)) {
        if (rec)
          rt_.log(rt::LogLevel::error,
                  fmt::format("get {}-{}@{}: the unit points at commitlog {} which holds {}-{}@{}; skipped", topic,
                              queue_id, logical, u.phys_offset, rec->message.topic, rec->message.queue_id,
                              rec->message.queue_offset));
        removed = true;
        next = logical + 1;
        continue;
      }
      res.data.insert(res.data.end(), rec->bytes.begin(), rec->bytes.end());
    }
    res.items.push_back({logical, u.phys_offset, u.size});
    res.bytes += u.size;
    next = logical + 1;
  }
  res.next_begin_offset = next;
  if (!res.items.empty() && cfg_.physical_memory_bytes > 0) {
    // RocketMQ's isSuggestPullingFromSlave: what is left to read no longer
    // fits the share of memory the page cache is expected to hold.
    const auto& last = res.items.back();
    const int64_t behind = log_.written() - (last.physical_offset + last.size);
    res.suggest_pulling_from_slave =
        behind > cfg_.physical_memory_bytes / 100 * cfg_.access_message_in_memory_max_ratio;
  }
  if (!res.items.empty()) {
    res.status = GetStatus::found;
  } else if (removed) {
    res.status = GetStatus::message_was_removing;
  }
  return res;
}

rt::Result<std::vector<CqUnit>> MessageStore::units(const std::string& topic, int32_t queue_id, int64_t from,
                                                    size_t max) {
  ConsumeQueue* q = book_.find_queue(topic, queue_id);
  if (q == nullptr || from >= q->max_offset() || max == 0) return std::vector<CqUnit>{};
  if (from < q->min_offset())
    return rt::Error(rt::Errc::not_found, fmt::format("{}-{}: offset {} is below the queue's minimum {}", topic,
                                                      queue_id, from, q->min_offset()));
  return q->read(from, max);
}

rt::Result<StoredRecord> MessageStore::read_unit(const CqUnit& u) {
  if (!u.valid() || u.phys_offset < log_.min_offset())
    return rt::Error(rt::Errc::not_found, fmt::format("no message at commitlog offset {}", u.phys_offset));
  auto rec = read_record_checked(u.phys_offset, u.size);
  if (!rec && rec.error().code() != rt::Errc::not_found)
    rec = read_record_checked(u.phys_offset, u.size, CommitLog::ReadCare::agreed);
  return rec;
}

rt::Result<StoredRecord> MessageStore::read_at(int64_t physical_offset) {
  const auto none = [&] {
    return rt::Error(rt::Errc::not_found, fmt::format("no message at commitlog offset {}", physical_offset));
  };
  // Whatever a put has acknowledged may be looked up (before the dispatcher
  // indexes it), nothing a crash could still take back.
  const int64_t visible = cfg_.flush_disk_type == FlushDiskType::sync_flush ? log_.synced() : log_.written();
  if (physical_offset < log_.min_offset() || physical_offset >= visible) return none();
  // The size word has no checksum of its own, and nothing else vouches for
  // the properties (keys, tags): every byte is read twice over, and a
  // record that still does not check out is looked at again from its size
  // word on, in case it was the reads that went wrong.
  for (int attempt = 0; attempt < kRecordReadAttemptsMax; ++attempt) {
    std::byte head[4];
    auto n = log_.read(physical_offset, head, CommitLog::ReadCare::agreed);
    if (!n) return n.error();
    if (*n != 4) return none();
    const int32_t size = common::get_i32(head);
    if (size < static_cast<int32_t>(common::kStoredFixedBytes) ||
        static_cast<uint32_t>(size) > common::kStoredRecordBytesMax)
      continue;
    if (auto rec = read_record_checked(physical_offset, size, CommitLog::ReadCare::agreed)) return rec;
  }
  return none();
}

rt::Result<std::vector<StoredRecord>> MessageStore::query_by_key(const std::string& topic, const std::string& key,
                                                                 size_t max, int64_t begin_ms, int64_t end_ms) {
  std::vector<StoredRecord> out;
  std::set<int64_t> seen;
  const int32_t hash = index_key_hash(topic + "#" + key);
  const std::vector<std::shared_ptr<IndexFile>> files = book_.index_files();  // may change while a lookup reads
  for (auto it = files.rbegin(); it != files.rend() && out.size() < max; ++it) {
    IndexFile& f = **it;
    if (f.header().index_count > 1 && (f.header().end_timestamp < common::sat_sub(begin_ms, 1000) || f.header().begin_timestamp > end_ms))
      continue;
    auto hits = f.lookup(hash, begin_ms, end_ms, max * 4);
    if (!hits) return hits.error();
    for (int64_t phys : *hits) {
      if (out.size() >= max) break;
      if (!seen.insert(phys).second) continue;
      auto rec = read_at(phys);
      if (!rec) continue;  // gone or never there (a stale entry)
      const auto& m = rec->message;
      if (m.topic != topic || !common::has_message_key(m.properties, key) || m.store_timestamp < begin_ms || m.store_timestamp > end_ms) continue;
      out.push_back(std::move(*rec));
    }
  }
  return out;
}

int64_t MessageStore::min_offset(const std::string& topic, int32_t queue_id) const {
  const ConsumeQueue* q = book_.find_queue(topic, queue_id);
  return q ? q->min_offset() : 0;
}

std::map<std::string, int32_t> MessageStore::queue_counts() const {
  std::map<std::string, int32_t> out;
  for (const auto& [topic, queues] : book_.queues())
    if (!queues.empty()) out[topic] = queues.rbegin()->first + 1;
  return out;
}

int64_t MessageStore::max_offset(const std::string& topic, int32_t queue_id) const {
  const ConsumeQueue* q = book_.find_queue(topic, queue_id);
  return q ? q->max_offset() : 0;
}

rt::Result<int64_t> MessageStore::store_time(const std::string& topic, int32_t queue_id, int64_t offset) {
  ConsumeQueue* q = book_.find_queue(topic, queue_id);
  if (q == nullptr) return rt::Error(rt::Errc::not_found, "no such queue");
  auto units = q->read(offset, 1);
  if (!units) return units.error();
  if (units->empty()) return rt::Error(rt::Errc::not_found, "no unit");
  return log_.store_timestamp_at((*units)[0].phys_offset);
}

rt::Result<int64_t> MessageStore::earliest_store_time(const std::string& topic, int32_t queue_id) {
  return store_time(topic, queue_id, min_offset(topic, queue_id));
}

rt::Result<int64_t> MessageStore::offset_by_time(const std::string& topic, int32_t queue_id, int64_t timestamp_ms) {
  ConsumeQueue* q = book_.find_queue(topic, queue_id);
  if (q == nullptr) return int64_t{0};
  int64_t lo = q->min_offset(), hi = q->max_offset();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    auto ts = store_time(topic, queue_id, mid);
    if (!ts) return ts.error();
    if (*ts < timestamp_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::map<std::string, std::vector<int32_t>> MessageStore::queues() const {
  std::map<std::string, std::vector<int32_t>> out;
  for (const auto& [topic, qs] : book_.queues())
    for (const auto& [qid, q] : qs) out[topic].push_back(qid);
  return out;
}

}  // namespace rmq::store
