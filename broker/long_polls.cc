#include "broker/long_polls.h"

namespace rmq::broker {

LongPolls::Hold::~Hold() {
  if (owner_ == nullptr) return;
  auto it = owner_->waiters_.find(key_);
  if (it == owner_->waiters_.end()) return;
  it->second.erase(number_);
  if (it->second.empty()) owner_->waiters_.erase(it);
}

LongPolls::Hold LongPolls::hold(const std::string& topic, int32_t queue_id, bool may_suspend) {
  auto event = std::make_shared<rt::Event>(rt_);
  if (!may_suspend) return Hold(nullptr, {}, 0, std::move(event));
  const uint64_t number = next_++;
  std::string key = key_of(topic, queue_id);
  waiters_[key][number] = event;
  return Hold(this, std::move(key), number, std::move(event));
}

void LongPolls::arrived(const std::string& topic, int32_t queue_id) {
  auto it = waiters_.find(key_of(topic, queue_id));
  if (it == waiters_.end()) return;
  for (const auto& [n, ev] : it->second) ev->set();
}

void LongPolls::wake_all() {
  for (auto& [key, waiters] : waiters_)
    for (auto& [n, ev] : waiters) ev->set();
}

size_t LongPolls::held() const {
  size_t n = 0;
  for (const auto& [key, waiters] : waiters_) n += waiters.size();
  return n;
}

}  // namespace rmq::broker
