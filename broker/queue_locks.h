// Orderly consumption's queue locks (RocketMQ's RebalanceLockManager): per
// consumer group, which client holds each queue. A lock not renewed within
// the lease (rocketmq.broker.rebalance.lockMaxLiveTime, 60 s) is free
// again; its holder renews it by locking again. Pure state: callers pass
// the time. One fiber (the broker's).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::broker {

class QueueLocks {
 public:
  explicit QueueLocks(rt::Duration lease) : lease_(lease) {}

  // LOCK_BATCH_MQ: takes or renews each queue (by key) that is free, lapsed
  // or already `client_id`'s; returns those, in the order asked.
  std::vector<std::string> lock(const std::string& group, const std::string& client_id,
                                const std::vector<std::string>& queues, rt::Instant now);
  // UNLOCK_BATCH_MQ: frees the queues `client_id` holds; others' stay.
  void unlock(const std::string& group, const std::string& client_id, const std::vector<std::string>& queues);
  // The holder of a live lock; "" when none.
  std::string holder(const std::string& group, const std::string& queue, rt::Instant now) const;
  // Forgets lapsed locks (the client scan, every 10 s).
  void expire(rt::Instant now);
  size_t size() const;  // locks kept, lapsed or not

 private:
  struct Lock {
    std::string client_id;
    rt::Instant last_update{};
  };
  bool live(const Lock& l, rt::Instant now) const { return !l.client_id.empty() && now - l.last_update <= lease_; }

  rt::Duration lease_;
  std::map<std::string, std::map<std::string, Lock>> groups_;  // group -> queue key -> lock
};

}  // namespace rmq::broker
