#include "store/index_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "common/big_endian.h"
#include "common/java_hash.h"
#include "common/numbers.h"
#include "runtime/assert.h"
#include "store/agreed_read.h"

namespace rmq::store {


int32_t index_key_hash(std::string_view key) {
  const int32_t h = common::java_string_hash(key);
  if (h == INT32_MIN) return 0;
  return h < 0 ? -h : h;
}

std::string index_file_name(int64_t wall_ms) {
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const int64_t ms = ((wall_ms % 1000) + 1000) % 1000;
  int64_t secs = (wall_ms - ms) / 1000;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04d}{:02d}{:02d}{:02d}{:02d}{:02d}{:03d}", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60,
                     ms);
}

rt::Result<std::unique_ptr<IndexFile>> IndexFile::create(rt::FileSystem& fs, std::string path, uint32_t slots,
                                                         uint32_t max_entries) {
  auto f = fs.open(path, rt::OpenMode::create_new);
  if (!f) return f.error();
  std::unique_ptr<IndexFile> x(new IndexFile(std::move(*f), std::move(path), slots, max_entries));
  x->slot_table_.assign(slots, 0);
  if (auto r = x->write_header(); !r) return r.error();
  return x;
}

rt::Result<std::unique_ptr<IndexFile>> IndexFile::open(rt::FileSystem& fs, std::string path, uint32_t slots,
                                                       uint32_t max_entries, bool writable) {
  auto f = fs.open(path, rt::OpenMode::existing);
  if (!f) return f.error();
  std::unique_ptr<IndexFile> x(new IndexFile(std::move(*f), std::move(path), slots, max_entries));
  std::byte h[kIndexHeaderBytes];
  auto n = read_agreed(*x->file_, 0, h);
  if (!n) return n.error();
  if (*n != kIndexHeaderBytes) return rt::Error(rt::Errc::invalid_argument, x->path_ + ": short header");
  auto& hd = x->header_;
  hd.begin_timestamp = common::get_i64(h);
  hd.end_timestamp = common::get_i64(h + 8);
  hd.begin_phy_offset = common::get_i64(h + 16);
  hd.end_phy_offset = common::get_i64(h + 24);
  hd.hash_slot_count = common::get_i32(h + 32);
  hd.index_count = common::get_i32(h + 36);
  if (hd.index_count < 1 || static_cast<uint32_t>(hd.index_count) > max_entries || hd.begin_phy_offset < 0 ||
      hd.end_phy_offset < hd.begin_phy_offset || hd.hash_slot_count < 0)
    return rt::Error(rt::Errc::invalid_argument, x->path_ + ": inconsistent header");
  if (writable) {
    std::vector<std::byte> raw(uint64_t{slots} * 4);
    auto got = read_agreed(*x->file_, kIndexHeaderBytes, raw);
    if (!got) return got.error();
    x->slot_table_.assign(slots, 0);
    bool stale = false;
    for (size_t i = 0; i + 4 <= *got; i += 4) {
      const int32_t v = common::get_i32(raw.data() + i);
      x->slot_table_[i / 4] = v;
      stale = stale || v < 0 || v >= hd.index_count;
    }
    // A slot that points past the header's count was written after the
    // header by a put the crash interrupted: rebuild the slots from the
    // entries the header vouches for.
    if (stale) {
      if (auto r = x->rebuild_slots(); !r) return r.error();
    }
  }
  return x;
}

rt::Result<void> IndexFile::for_each_entry(const std::function<bool(int64_t, const std::byte*)>& visit) {
  constexpr int64_t kEntriesPerRead = 4096;
  std::vector<std::byte> buf;
  for (int64_t n = 1; n < header_.index_count; n += kEntriesPerRead) {
    const int64_t count = std::min<int64_t>(kEntriesPerRead, header_.index_count - n);
    buf.resize(static_cast<size_t>(count) * kIndexEntryBytes);
    auto got = read_agreed(*file_, entry_pos(n), buf);
    if (!got) return got.error();
    if (*got != buf.size()) return rt::Error(rt::Errc::invalid_argument, path_ + ": entries cut short");
    for (int64_t i = 0; i < count; ++i)
      if (!visit(n + i, buf.data() + i * kIndexEntryBytes)) return {};
  }
  return {};
}

rt::Result<void> IndexFile::rebuild_slots() {
  std::fill(slot_table_.begin(), slot_table_.end(), 0);
  header_.hash_slot_count = 0;
  auto read = for_each_entry([&](int64_t n, const std::byte* e) {
    const uint32_t slot = static_cast<uint32_t>(common::get_i32(e)) % slots_;
    if (slot_table_[slot] == 0) ++header_.hash_slot_count;
    slot_table_[slot] = static_cast<int32_t>(n);
    return true;
  });
  if (!read) return read;
  std::vector<std::byte> raw(slot_table_.size() * 4);
  for (size_t i = 0; i < slot_table_.size(); ++i) common::put_i32(raw.data() + i * 4, slot_table_[i]);
  if (auto r = file_->write_at(kIndexHeaderBytes, raw); !r) return r;
  if (auto r = write_header(); !r) return r;
  return file_->sync();
}

rt::Result<int64_t> IndexFile::truncate_at(int64_t phy_limit) {
  int64_t keep = 1;  // entries [1, keep) stay
  int64_t last_phy = header_.begin_phy_offset;
  int32_t max_diff = 0;  // seconds; a clock stepping back makes them fall
  bool implausible = false;
  auto read = for_each_entry([&](int64_t n, const std::byte* e) {
    const int64_t phy = common::get_i64(e + 4);
    const int32_t diff = common::get_i32(e + 12);
    const int32_t prev = common::get_i32(e + 16);
    if (phy >= phy_limit) return false;
    if (phy < last_phy || diff < 0 || prev < 0 || prev >= n) {
      implausible = true;
      return false;
    }
    keep = n + 1;
    last_phy = phy;
    max_diff = std::max(max_diff, diff);
    return true;
  });
  if (!read) return read.error();
  header_.index_count = static_cast<int32_t>(keep);
  if (keep == 1) {
    header_.end_phy_offset = header_.begin_phy_offset;
    header_.end_timestamp = header_.begin_timestamp;
  } else {
    header_.end_phy_offset = last_phy;
    // Entries keep whole seconds: round up, so no lookup skips the file.
    header_.end_timestamp = common::sat_add(header_.begin_timestamp, int64_t{max_diff} * 1000 + 999);
  }
  pending_entries_.clear();
  slot_table_.assign(slots_, 0);
  if (auto r = rebuild_slots(); !r) return r.error();
  // Past an entry that does not make sense, what the file lacked below the
  // limit must be indexed again too (from the last entry kept: a repeat of
  // it is harmless, lookups drop duplicate offsets).
  return implausible ? last_phy : phy_limit;
}

void IndexFile::put(int32_t key_hash, int64_t phy_offset, int64_t store_timestamp) {
  RMQ_ASSERT(!full() && slot_table_.size() == slots_);
  if (header_.index_count == 1 && pending_entries_.empty()) {
    header_.begin_timestamp = store_timestamp;
    header_.begin_phy_offset = phy_offset;
  }
  if (pending_entries_.empty()) pending_first_ = header_.index_count;
  const uint32_t slot = static_cast<uint32_t>(key_hash) % slots_;
  const int32_t prev = slot_table_[slot];
  if (prev == 0) ++header_.hash_slot_count;
  const int64_t diff = std::clamp<int64_t>(common::sat_sub(store_timestamp, header_.begin_timestamp) / 1000, 0, INT32_MAX);
  const size_t at = pending_entries_.size();
  pending_entries_.resize(at + kIndexEntryBytes);
  std::byte* p = pending_entries_.data() + at;
  common::put_i32(p, key_hash);
  common::put_i64(p + 4, phy_offset);
  common::put_i32(p + 12, static_cast<int32_t>(diff));
  common::put_i32(p + 16, prev);
  slot_table_[slot] = header_.index_count;
  const uint32_t group = slot / kSlotsPerGroup;
  if (dirty_group_.empty()) dirty_group_.resize((slots_ + kSlotsPerGroup - 1) / kSlotsPerGroup);
  if (!dirty_group_[group]) {
    dirty_group_[group] = true;
    dirty_groups_.push_back(group);
  }
  ++header_.index_count;
  header_.end_timestamp = store_timestamp;
  header_.end_phy_offset = phy_offset;
}

rt::Result<void> IndexFile::write_header() {
  std::byte h[kIndexHeaderBytes];
  common::put_i64(h, header_.begin_timestamp);
  common::put_i64(h + 8, header_.end_timestamp);
  common::put_i64(h + 16, header_.begin_phy_offset);
  common::put_i64(h + 24, header_.end_phy_offset);
  common::put_i32(h + 32, header_.hash_slot_count);
  common::put_i32(h + 36, header_.index_count);
  return file_->write_at(0, h);
}

rt::Result<void> IndexFile::write_pending() {
  // Only the dispatcher puts and writes, one after the other, so the pending
  // entries stay put (and visible to lookups) until they are on file.
  if (pending_entries_.empty()) return {};
  if (auto r = file_->write_at(entry_pos(pending_first_), pending_entries_); !r) return r;
  std::sort(dirty_groups_.begin(), dirty_groups_.end());
  std::vector<std::byte> raw;
  for (size_t i = 0; i < dirty_groups_.size();) {
    size_t j = i + 1;  // [i, j): a run of consecutive groups
    while (j < dirty_groups_.size() && dirty_groups_[j] == dirty_groups_[j - 1] + 1) ++j;
    const uint32_t first = dirty_groups_[i] * kSlotsPerGroup;
    const uint32_t end = std::min(slots_, (dirty_groups_[j - 1] + 1) * kSlotsPerGroup);
    raw.resize(size_t{end - first} * 4);
    for (uint32_t s = first; s < end; ++s) common::put_i32(raw.data() + size_t{s - first} * 4, slot_table_[s]);
    if (auto r = file_->write_at(kIndexHeaderBytes + uint64_t{first} * 4, raw); !r) return r;
    i = j;
  }
  if (auto r = write_header(); !r) return r;
  pending_entries_.clear();
  for (uint32_t g : dirty_groups_) dirty_group_[g] = false;
  dirty_groups_.clear();
  return {};
}

rt::Result<std::vector<int64_t>> IndexFile::lookup(int32_t key_hash, int64_t begin_ms, int64_t end_ms, size_t max) {
  std::vector<int64_t> out;
  const uint32_t slot = static_cast<uint32_t>(key_hash) % slots_;
  int32_t n = 0;
  if (!slot_table_.empty()) {
    n = slot_table_[slot];
  } else {
    std::byte b[4];
    auto got = read_agreed(*file_, kIndexHeaderBytes + uint64_t{slot} * 4, b);
    if (!got) return got.error();
    if (*got == 4) n = common::get_i32(b);
  }
  int hops = 0;
  while (n > 0 && n < header_.index_count && out.size() < max && hops++ < static_cast<int>(max_entries_)) {
    std::byte e[kIndexEntryBytes];
    if (!pending_entries_.empty() && n >= pending_first_) {
      std::copy_n(pending_entries_.data() + (n - pending_first_) * kIndexEntryBytes, kIndexEntryBytes, e);
    } else {
      auto got = read_agreed(*file_, entry_pos(n), e);
      if (!got) return got.error();
      if (*got != kIndexEntryBytes) break;
    }
    const int32_t h = common::get_i32(e);
    const int64_t phy = common::get_i64(e + 4);
    const int64_t ts = common::sat_add(header_.begin_timestamp, int64_t{common::get_i32(e + 12)} * 1000);
    const int32_t prev = common::get_i32(e + 16);
    // Entries are stored in seconds: widen the range by the rounding.
    if (h == key_hash && ts >= common::sat_sub(begin_ms, 1000) && ts <= end_ms) out.push_back(phy);
    if (prev >= n) break;  // chains only go back
    n = prev;
  }
  return out;
}

}  // namespace rmq::store
