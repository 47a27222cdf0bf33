// The fiber scheduler shared by both backends. Not for components: they use
// Runtime, Task and the sync primitives in runtime.h.
//
// A backend drives it with a loop of the shape
//     run_ready();                       // run tasks until all are blocked
//     wait for I/O or next_deadline();   // backend-specific
//     fire_timers(now);                  // wake tasks whose deadline passed
// and wakes tasks from its I/O completions with wake().
//
// Everything runs on one OS thread. Tasks switch only inside block()/yield().
#pragma once

#include <boost/context/fiber.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "runtime/runtime.h"

namespace rmq::rt {

enum class WakeReason { none, notified, timed_out, cancelled };

struct TaskState {
  enum class State { ready, running, blocked, done };

  uint64_t id = 0;
  std::string name;
  std::function<void()> body;
  boost::context::fiber fiber;
  State state = State::ready;
  WakeReason wake_reason = WakeReason::none;
  bool started = false;
  bool cancel_requested = false;
  bool cancellable = true;       // of the current block()
  Instant deadline = kNever;     // while blocked with a timeout
  uint64_t timer_seq = 0;        // key into the timer set while armed
  Scheduler* sched = nullptr;
  std::unique_ptr<detail::WaitQueue> joiners;
  // The C++ runtime's per-thread exception state (caught-exception stack and
  // uncaught count), saved while this fiber is switched out, so that a fiber
  // unwinding or inside a catch block does not leak that state to others.
  void* eh_caught = nullptr;
  unsigned int eh_uncaught = 0;
  // The fiber's stack, for AddressSanitizer's fiber-switch annotations.
  const void* stack_bottom = nullptr;
  size_t stack_bytes = 0;
};

class Scheduler {
 public:
  explicit Scheduler(Runtime& rt);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  Runtime& runtime() { return rt_; }

  Task spawn(std::string name, std::function<void()> body);

  // The running task, or nullptr when called from the backend's loop.
  TaskState* current() const { return current_; }
  bool in_task() const { return current_ != nullptr; }
  // True while the current task unwinds an exception (e.g. Cancelled).
  bool current_unwinding() const;

  // Runs ready tasks until none is ready. Returns how many task switches ran.
  uint64_t run_ready();
  bool has_ready() const { return !ready_.empty(); }
  // Earliest deadline of a blocked task, if any.
  std::optional<Instant> next_deadline() const;
  // Wakes (timed_out) every task whose deadline is <= now.
  void fire_timers(Instant now);

  // Suspends the current task until wake() or `deadline`. Returns why it woke.
  // If cancellation is pending (and the task is not unwinding) returns
  // `cancelled` at once without suspending. While stopping, deadlines are
  // treated as already passed. An uncancellable block ignores cancellation
  // (for waits that must finish, like an I/O the kernel still owns).
  WakeReason block(Instant deadline, bool cancellable = true);
  // Puts the current task at the back of the ready queue and switches.
  void yield();
  // Makes a blocked task ready with `reason`. No-op if it is not blocked (the
  // first wake wins). Returns true if it woke the task.
  bool wake(TaskState* t, WakeReason reason);

  void cancel(TaskState* t);
  // Cancels every task and enters stopping mode (see runtime.h). Tasks
  // spawned afterwards are cancelled before they start.
  void stop_all();
  bool stopping() const { return stopping_; }

  size_t live_tasks() const { return tasks_.size(); }
  uint64_t switches() const { return switches_; }
  // Names of live tasks, in spawn order (for diagnostics).
  std::string describe_live() const;

 private:
  void switch_to(TaskState* t);
  void arm(TaskState* t, Instant deadline);
  void disarm(TaskState* t);
  void entry(TaskState* t);
  // Switches from the running task back to the loop (AddressSanitizer
  // annotations around it when enabled). `exiting`: the task has finished.
  void suspend_to_loop(bool exiting);
  void on_task_resumed();

  Runtime& rt_;
  TaskState* current_ = nullptr;
  boost::context::fiber loop_;  // where the running task returns to
  [[maybe_unused]] const void* loop_stack_bottom_ = nullptr;  // for AddressSanitizer
  [[maybe_unused]] size_t loop_stack_bytes_ = 0;
  std::deque<TaskState*> ready_;
  std::map<uint64_t, std::shared_ptr<TaskState>> tasks_;  // live, by id
  std::set<std::pair<Instant, uint64_t>> timers_;         // (deadline, seq)
  std::map<uint64_t, TaskState*> timer_owner_;            // seq -> task
  uint64_t next_id_ = 1;
  uint64_t next_timer_seq_ = 1;
  uint64_t switches_ = 0;
  bool stopping_ = false;
};

}  // namespace rmq::rt
