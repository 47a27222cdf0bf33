// Held pulls (RocketMQ's PullRequestHoldService): a pull that found nothing
// and may suspend holds an event of its queue, registered before the store
// is read, so an arrival during the read is never missed (RocketMQ #7358);
// the store's dispatcher calls arrived() when the queue grows. Events of a
// queue are set in the order the pulls came (never by address: the same
// seed must replay). A Hold unregisters itself when the pull is answered.
// One runtime's tasks use it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "runtime/runtime.h"

namespace rmq::broker {

class LongPolls {
 public:
  explicit LongPolls(rt::Runtime& rt) : rt_(rt) {}
  LongPolls(const LongPolls&) = delete;
  LongPolls& operator=(const LongPolls&) = delete;

  // One pull's registration; its event is set by an arrival on its queue
  // while it lives.
  class Hold {
   public:
    Hold(Hold&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)), number_(o.number_), event_(std::move(o.event_)) {
      o.owner_ = nullptr;
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    Hold& operator=(Hold&&) = delete;
    ~Hold();
    rt::Event& arrived() { return *event_; }

   private:
    friend class LongPolls;
    Hold(LongPolls* owner, std::string key, uint64_t number, std::shared_ptr<rt::Event> event)
        : owner_(owner), key_(std::move(key)), number_(number), event_(std::move(event)) {}
    LongPolls* owner_;  // null: not registered (the pull may not suspend) or moved from
    std::string key_;
    uint64_t number_ = 0;
    std::shared_ptr<rt::Event> event_;
  };

  // A pull of (topic, queue_id); registered only when it may suspend.
  Hold hold(const std::string& topic, int32_t queue_id, bool may_suspend);
  // The queue grew: every pull held on it is woken.
  void arrived(const std::string& topic, int32_t queue_id);
  // Shutdown: every held pull is woken (it answers now, not at its timeout).
  void wake_all();
  size_t held() const;

 private:
  static std::string key_of(const std::string& topic, int32_t queue_id) {
    return topic + "@" + std::to_string(queue_id);
  }
  rt::Runtime& rt_;
  std::map<std::string, std::map<uint64_t, std::shared_ptr<rt::Event>>> waiters_;  // queue -> by arrival number
  uint64_t next_ = 0;
};

}  // namespace rmq::broker
