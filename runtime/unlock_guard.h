// UnlockGuard: for a Mutex the caller has locked itself (with a timeout, or
// where it must see the lock fail as a value): unlocks it when it goes out
// of scope, also while the task unwinds from a cancellation in between, so
// a cancelled holder never leaves the mutex locked for good.
//
//   if (auto r = save_.lock(); !r) return r;
//   rt::UnlockGuard unlock(save_);
#pragma once

#include "runtime/runtime.h"

namespace rmq::rt {

class UnlockGuard {
 public:
  // REQUIRES: `m` is held by the calling task.
  explicit UnlockGuard(Mutex& m) : m_(m) {}
  ~UnlockGuard() { m_.unlock(); }
  UnlockGuard(const UnlockGuard&) = delete;
  UnlockGuard& operator=(const UnlockGuard&) = delete;

 private:
  Mutex& m_;
};

}  // namespace rmq::rt
