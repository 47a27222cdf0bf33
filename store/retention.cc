// Retention: CommitLog segments removed by age (fileReservedTime) at the
// deleteWhen hours or when the disk fills, the queue and index files below
// the log's new start with them; and deleting a topic's queues.
#include "store/message_store.h"

#include <fmt/format.h>


#include "common/numbers.h"

namespace rmq::store {

namespace {

constexpr int kMaxSegmentsPerClean = 10;

bool hour_listed(std::string_view delete_when, int hour) {
  while (!delete_when.empty()) {
    const size_t semi = delete_when.find(';');
    const std::string_view h = delete_when.substr(0, semi);
    int v = -1;
    if (h.size() == 1 && h[0] >= '0' && h[0] <= '9') v = h[0] - '0';
    if (h.size() == 2 && h[0] >= '0' && h[0] <= '9' && h[1] >= '0' && h[1] <= '9') v = (h[0] - '0') * 10 + (h[1] - '0');
    if (v == hour) return true;
    if (semi == std::string_view::npos) break;
    delete_when.remove_prefix(semi + 1);
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------
// Admin and retention

rt::Result<void> MessageStore::delete_topic(const std::string& topic) {
  auto& queues = book_.queues();
  auto it = queues.find(topic);
  if (it == queues.end()) return {};
  auto qs = std::move(it->second);
  queues.erase(it);
  for (auto& [qid, q] : qs) {
    book_.forget_queue_offset(topic, qid);
    if (auto r = q->remove_all(); !r) return r;
    (void)rt_.fs().remove(q->dir());
  }
  (void)rt_.fs().remove(cfg_.root_dir + "/consumequeue/" + topic);
  return rt_.fs().sync_dir(cfg_.root_dir + "/consumequeue");
}

rt::Result<int> MessageStore::clean_expired(bool force_expired_now) {
  auto usage = rt_.fs().disk_usage(cfg_.root_dir);
  int ratio = 0;
  if (usage && usage->total_bytes > 0)
    ratio = static_cast<int>((usage->total_bytes - usage->free_bytes) * 100 / usage->total_bytes);
  const bool was_full = disk_full_;
  disk_full_ = ratio >= cfg_.disk_full_ratio;
  if (disk_full_ != was_full)
    rt_.log(disk_full_ ? rt::LogLevel::error : rt::LogLevel::info,
            fmt::format("store: disk usage {}% {} the full mark {}%; puts {}", ratio, disk_full_ ? "reached" : "below",
                        cfg_.disk_full_ratio, disk_full_ ? "refused" : "accepted again"));
  const int64_t now = rt_.wall_ms();
  const int hour = static_cast<int>((now / 3'600'000) % 24);
  const bool at_delete_hour = hour_listed(cfg_.delete_when, hour);
  const bool space_low = ratio >= cfg_.disk_max_used_space_ratio;
  const bool forcibly = ratio >= cfg_.disk_clean_forcibly_ratio;
  if (!(at_delete_hour || space_low || force_expired_now)) return 0;
  const int64_t reserved_ms = cfg_.file_reserved_hours * 3'600'000;
  int removed = 0;
  for (;;) {
    auto starts = log_.segment_starts();
    if (starts.size() < 2 || removed >= kMaxSegmentsPerClean) break;
    const int64_t next_start = starts[1];
    // Never drop what the dispatcher has not indexed yet.
    if (next_start > dispatched_) break;
    // A segment's last write is no later than the first record of the next.
    auto ts = log_.store_timestamp_at(next_start);
    const bool expired = force_expired_now || (ts && common::sat_sub(now, *ts) >= reserved_ms);
    if (!expired && !forcibly) break;
    if (auto r = log_.remove_first_segment(); !r) return r.error();
    ++removed;
  }
  if (removed == 0) return 0;
  rt_.log(rt::LogLevel::info, fmt::format("store: removed {} commitlog segment(s); the log now starts at {}", removed,
                                          log_.min_offset()));
  for (auto& [topic, qs] : book_.queues())
    for (auto& [qid, q] : qs)
      if (auto r = q->correct_min_offset(log_.min_offset()); !r) return r.error();
  rt::LockGuard index_guard(book_.index_mutex());  // not while the dispatcher or the checkpoint walks the list
  auto& index_files = book_.index_files();
  while (index_files.size() > 1 && index_files.front()->header().end_phy_offset < log_.min_offset()) {
    const std::string path = index_files.front()->path();
    index_files.erase(index_files.begin());
    if (auto r = rt_.fs().remove(path); !r) return r.error();
  }
  return removed;
}

}  // namespace rmq::store
