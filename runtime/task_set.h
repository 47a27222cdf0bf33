// Short-lived tasks a component starts on the side (a oneway notice to a
// client, one check-back) and must not orphan: the set keeps every handle,
// forgets those that finished, and cancels and joins the rest at stop().
// Bounded: past `max_in_flight` unfinished tasks, spawn() refuses and the
// caller decides what to drop. Used by one runtime's tasks only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::rt {

class TaskSet {
 public:
  TaskSet(Runtime& rt, size_t max_in_flight) : rt_(rt), max_in_flight_(max_in_flight) {}
  TaskSet(const TaskSet&) = delete;
  TaskSet& operator=(const TaskSet&) = delete;
  // REQUIRES: stop() was called (a task left running would outlive what it uses).
  ~TaskSet() = default;

  // Starts `body` in a task the set owns. False, and nothing started, when
  // `max_in_flight` tasks are still running or the set was stopped.
  bool spawn(std::string name, std::function<void()> body) {
    if (stopped_) return false;
    prune();
    if (tasks_.size() >= max_in_flight_) return false;
    tasks_.push_back(rt_.spawn(std::move(name), std::move(body)));
    return true;
  }

  // Unfinished tasks.
  size_t in_flight() {
    prune();
    return tasks_.size();
  }

  // Cancels every task and waits for each to finish; spawn() refuses from
  // here on. May suspend. Idempotent.
  void stop() {
    stopped_ = true;
    for (auto& t : tasks_) t.cancel();
    for (auto& t : tasks_) t.cancel_and_join();
    tasks_.clear();
  }

 private:
  void prune() { std::erase_if(tasks_, [](const Task& t) { return t.done(); }); }

  Runtime& rt_;
  const size_t max_in_flight_;
  std::vector<Task> tasks_;
  bool stopped_ = false;
};

}  // namespace rmq::rt
