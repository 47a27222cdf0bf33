#include "store/consume_queue.h"

#include <fmt/format.h>

#include "common/big_endian.h"
#include "runtime/assert.h"
#include "store/agreed_read.h"
#include "store/commit_log.h"

namespace rmq::store {

namespace {

CqUnit decode_unit(const std::byte* p) {
  return CqUnit{common::get_i64(p), common::get_i32(p + 8), common::get_i64(p + 12)};
}
void encode_unit(const CqUnit& u, std::byte* p) {
  common::put_i64(p, u.phys_offset);
  common::put_i32(p + 8, u.size);
  common::put_i64(p + 12, u.tags_code);
}
constexpr CqUnit kFiller{0, INT32_MAX, 0};

}  // namespace

ConsumeQueue::ConsumeQueue(rt::Runtime& rt, std::string root_dir, std::string topic, int32_t queue_id,
                           uint32_t units_per_file)
    : rt_(rt),
      topic_(std::move(topic)),
      queue_id_(queue_id),
      dir_(fmt::format("{}/consumequeue/{}/{}", root_dir, topic_, queue_id)),
      units_per_file_(units_per_file) {
  RMQ_ASSERT(units_per_file > 0);
}

rt::Result<void> ConsumeQueue::load() {
  files_.clear();
  pending_.clear();
  unsynced_files_.clear();
  min_ = written_ = appended_ = 0;
  auto exists = rt_.fs().exists(dir_);
  if (!exists) return exists.error();
  if (!*exists) return {};
  dir_created_ = true;
  auto names = rt_.fs().list(dir_);
  if (!names) return names.error();
  const int64_t file_bytes = units_per_file_ * kCqUnitBytes;
  for (const auto& name : *names) {
    auto start = parse_segment_file_name(name);
    if (!start) continue;
    if (*start % file_bytes != 0)
      return rt::Error(rt::Errc::invalid_argument, fmt::format("{}/{} is not aligned to the file size", dir_, name));
    const int64_t logical = *start / kCqUnitBytes;
    if (!files_.empty() && files_.rbegin()->first + units_per_file_ != logical)
      return rt::Error(rt::Errc::invalid_argument, fmt::format("{}: files are not contiguous at {}", dir_, name));
    auto f = rt_.fs().open(dir_ + "/" + name, rt::OpenMode::existing);
    if (!f) return f.error();
    files_[logical] = std::shared_ptr<rt::File>(std::move(*f));
  }
  if (files_.empty()) return {};
  // The valid units of the last file end the queue.
  const auto& [last_start, last_file] = *files_.rbegin();
  auto size = last_file->size();
  if (!size) return size.error();
  std::vector<std::byte> buf(std::min<uint64_t>(*size, static_cast<uint64_t>(file_bytes)));
  auto n = read_agreed(*last_file, 0, buf);
  if (!n) return n.error();
  int64_t count = 0;
  for (size_t at = 0; at + kCqUnitBytes <= *n; at += kCqUnitBytes, ++count) {
    if (!decode_unit(buf.data() + at).valid()) break;
  }
  written_ = appended_ = last_start + count;
  // Fillers before the first unit of the first file are not offsets.
  min_ = files_.begin()->first;
  while (min_ < written_) {
    auto u = read_unit_stable(min_);
    if (!u) return u.error();
    if (!u->filler()) break;
    ++min_;
  }
  return {};
}

rt::Result<CqUnit> ConsumeQueue::read_unit_stable(int64_t logical) {
  const int64_t start = file_start_logical(logical);
  auto it = files_.find(start);
  if (it == files_.end()) return rt::Error(rt::Errc::not_found, "no consume queue file");
  auto file = it->second;  // stays open if the file is removed meanwhile
  std::byte b[kCqUnitBytes];
  auto n = read_agreed(*file, static_cast<uint64_t>(logical - start) * kCqUnitBytes, b);
  if (!n) return n.error();
  return *n == kCqUnitBytes ? decode_unit(b) : CqUnit{-1, 0, 0};
}

rt::Result<void> ConsumeQueue::truncate_below_phys(int64_t phys_limit) {
  RMQ_ASSERT(pending_.empty());
  // Units that are valid and below the limit form a prefix (what follows is
  // either re-dispatchable units or torn bytes): binary search its end.
  int64_t lo = min_, hi = written_;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    auto u = read_unit_stable(mid);
    if (!u) return u.error();
    if (u->valid() && !u->filler() && u->phys_offset < phys_limit) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const int64_t end = lo;
  bool removed = false;
  while (!files_.empty()) {
    auto last = std::prev(files_.end());
    if (last->first <= end && !(last->first == end && last != files_.begin())) break;
    const std::string path = dir_ + "/" + segment_file_name(last->first * kCqUnitBytes);
    unsynced_files_.erase(last->first);
    files_.erase(last);
    if (auto r = rt_.fs().remove(path); !r) return r;
    removed = true;
  }
  if (removed) {
    if (auto r = rt_.fs().sync_dir(dir_); !r) return r;
  }
  if (!files_.empty()) {
    auto& [start, f] = *files_.rbegin();
    if (auto r = f->truncate(static_cast<uint64_t>(end - start) * kCqUnitBytes); !r) return r;
    if (auto r = f->sync(); !r) return r;
  }
  written_ = appended_ = end;
  if (min_ > end) min_ = end;
  return {};
}

rt::Result<void> ConsumeQueue::remove_all() {
  pending_.clear();
  unsynced_files_.clear();
  for (auto& [start, f] : files_) {
    if (auto r = rt_.fs().remove(dir_ + "/" + segment_file_name(start * kCqUnitBytes)); !r) return r;
  }
  if (!files_.empty()) {
    if (auto r = rt_.fs().sync_dir(dir_); !r) return r;
  }
  files_.clear();
  min_ = written_ = appended_ = 0;
  return {};
}

void ConsumeQueue::append(int64_t logical, const CqUnit& u) {
  if (logical != appended_) {
    RMQ_ASSERT_MSG(empty(), "consume queue offsets must be contiguous");
    // First unit of an empty queue: fill its file's earlier slots.
    const int64_t start = file_start_logical(logical);
    min_ = logical;
    written_ = appended_ = start;
    for (int64_t i = start; i < logical; ++i) {
      const size_t at = pending_.size();
      pending_.resize(at + kCqUnitBytes);
      encode_unit(kFiller, pending_.data() + at);
      ++appended_;
    }
  }
  const size_t at = pending_.size();
  pending_.resize(at + kCqUnitBytes);
  encode_unit(u, pending_.data() + at);
  ++appended_;
}

rt::Result<std::shared_ptr<rt::File>> ConsumeQueue::file_for(int64_t file_start, bool create) {
  if (auto it = files_.find(file_start); it != files_.end()) return it->second;
  if (!create) return rt::Error(rt::Errc::not_found, "no consume queue file");
  if (!dir_created_) {
    // Make the topic and queue directories durable before any file in them.
    if (auto r = rt_.fs().create_dirs(dir_); !r) return r.error();
    const std::string topic_dir = dir_.substr(0, dir_.rfind('/'));
    const std::string cq_root = topic_dir.substr(0, topic_dir.rfind('/'));
    const std::string store_root = cq_root.substr(0, cq_root.rfind('/'));
    if (auto r = rt_.fs().sync_dir(store_root.empty() ? "/" : store_root); !r) return r.error();
    if (auto r = rt_.fs().sync_dir(cq_root); !r) return r.error();
    if (auto r = rt_.fs().sync_dir(topic_dir); !r) return r.error();
    dir_created_ = true;
  }
  auto f = rt_.fs().open(dir_ + "/" + segment_file_name(file_start * kCqUnitBytes), rt::OpenMode::create);
  if (!f) return f.error();
  if (auto r = rt_.fs().sync_dir(dir_); !r) return r.error();
  auto& slot = files_[file_start];
  if (!slot) slot = std::shared_ptr<rt::File>(std::move(*f));
  return slot;
}

rt::Result<void> ConsumeQueue::write_pending() {
  while (!pending_.empty()) {
    std::vector<std::byte> data;
    data.swap(pending_);
    int64_t logical = written_;
    size_t at = 0;
    while (at < data.size()) {
      const int64_t start = file_start_logical(logical);
      const int64_t units = std::min<int64_t>(start + units_per_file_ - logical,
                                              static_cast<int64_t>((data.size() - at) / kCqUnitBytes));
      // A failed write (a full disk) leaves the units from here on pending,
      // ahead of any added meanwhile, for a retry.
      auto keep_from_here = [&] {
        data.erase(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(at));
        data.insert(data.end(), pending_.begin(), pending_.end());
        pending_.swap(data);
      };
      auto f = file_for(start, true);
      if (!f) {
        keep_from_here();
        return f.error();
      }
      const size_t bytes = static_cast<size_t>(units) * kCqUnitBytes;
      if (auto r = (*f)->write_at(static_cast<uint64_t>(logical - start) * kCqUnitBytes,
                                  std::span<const std::byte>(data.data() + at, bytes));
          !r) {
        keep_from_here();
        return r;
      }
      unsynced_files_[start] = true;
      at += bytes;
      logical += units;
      written_ = logical;
    }
  }
  return {};
}

rt::Result<void> ConsumeQueue::sync() {
  std::map<int64_t, bool> files;
  files.swap(unsynced_files_);
  for (const auto& [start, unused] : files) {
    auto it = files_.find(start);
    if (it == files_.end()) continue;
    auto f = it->second;
    if (auto r = f->sync(); !r) {
      unsynced_files_.insert(files.begin(), files.end());
      return r;
    }
  }
  return {};
}

rt::Result<std::vector<CqUnit>> ConsumeQueue::read(int64_t from, size_t max_units) {
  if (from < min_ || from >= written_)
    return rt::Error(rt::Errc::not_found, fmt::format("offset {} outside [{}, {})", from, min_, written_));
  const int64_t start = file_start_logical(from);
  auto f = file_for(start, false);
  if (!f) return f.error();
  auto file = *f;
  const int64_t n = std::min<int64_t>({static_cast<int64_t>(max_units), written_ - from, start + units_per_file_ - from});
  std::vector<std::byte> buf(static_cast<size_t>(n) * kCqUnitBytes);
  // Units carry no checksum: a read is believed when a second one agrees.
  auto got = read_agreed(*file, static_cast<uint64_t>(from - start) * kCqUnitBytes, buf);
  if (!got) return got.error();
  std::vector<CqUnit> out;
  for (size_t at = 0; at + kCqUnitBytes <= *got; at += kCqUnitBytes) out.push_back(decode_unit(buf.data() + at));
  return out;
}

rt::Result<void> ConsumeQueue::correct_min_offset(int64_t cl_min) {
  int64_t lo = min_, hi = written_;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    auto u = read_unit_stable(mid);
    if (!u) return u.error();
    if (u->phys_offset < cl_min) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  min_ = lo;
  // Remove files wholly below the minimum, always keeping the last one (it
  // carries the max offset across restarts).
  bool removed = false;
  while (files_.size() > 1 && files_.begin()->first + units_per_file_ <= min_) {
    const int64_t start = files_.begin()->first;
    unsynced_files_.erase(start);
    files_.erase(files_.begin());
    if (auto r = rt_.fs().remove(dir_ + "/" + segment_file_name(start * kCqUnitBytes)); !r) return r;
    removed = true;
  }
  if (removed) return rt_.fs().sync_dir(dir_);
  return {};
}

}  // namespace rmq::store
