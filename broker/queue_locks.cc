#include "broker/queue_locks.h"

namespace rmq::broker {

std::vector<std::string> QueueLocks::lock(const std::string& group, const std::string& client_id,
                                          const std::vector<std::string>& queues, rt::Instant now) {
  auto& locks = groups_[group];
  std::vector<std::string> ok;
  for (const auto& q : queues) {
    Lock& l = locks[q];
    if (live(l, now) && l.client_id != client_id) continue;
    l.client_id = client_id;
    l.last_update = now;
    ok.push_back(q);
  }
  return ok;
}

void QueueLocks::unlock(const std::string& group, const std::string& client_id, const std::vector<std::string>& queues) {
  auto g = groups_.find(group);
  if (g == groups_.end()) return;
  for (const auto& q : queues) {
    auto l = g->second.find(q);
    if (l != g->second.end() && l->second.client_id == client_id) g->second.erase(l);
  }
  if (g->second.empty()) groups_.erase(g);
}

std::string QueueLocks::holder(const std::string& group, const std::string& queue, rt::Instant now) const {
  auto g = groups_.find(group);
  if (g == groups_.end()) return "";
  auto l = g->second.find(queue);
  return l != g->second.end() && live(l->second, now) ? l->second.client_id : "";
}

void QueueLocks::expire(rt::Instant now) {
  for (auto g = groups_.begin(); g != groups_.end();) {
    std::erase_if(g->second, [&](const auto& kv) { return !live(kv.second, now); });
    g = g->second.empty() ? groups_.erase(g) : std::next(g);
  }
}

size_t QueueLocks::size() const {
  size_t n = 0;
  for (const auto& [group, locks] : groups_) n += locks.size();
  return n;
}

}  // namespace rmq::broker
