#include "runtime/scheduler.h"

#include <cxxabi.h>

#include <boost/context/protected_fixedsize_stack.hpp>
#include <exception>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define RMQ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RMQ_ASAN 1
#endif
#endif
#ifdef RMQ_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace rmq::rt {

namespace {

namespace ctx = boost::context;

// Stack per task. Only touched pages are backed by memory; a guard page below
// turns an overflow into a crash instead of silent corruption.
constexpr size_t kStackBytes = 256 * 1024;

// Mirror of libstdc++'s __cxa_eh_globals (unwind-cxx.h) on x86-64/aarch64.
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

// Exchanges the thread's exception state with the one saved in `t`. Called
// symmetrically around every switch into a task.
void swap_eh_state(TaskState* t) {
  auto* g = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
  std::swap(g->caught_exceptions, t->eh_caught);
  std::swap(g->uncaught_exceptions, t->eh_uncaught);
}

// Protected stacks (a guard page below each), kept for reuse when their task
// ends: mapping and unmapping one per task costs page faults, and every unmap
// interrupts the io_uring worker threads that share the address space. One
// pool per thread, shared by the schedulers that run on it (the simulator's
// node incarnations), used by the thread that creates or destroys a fiber.
class StackPool {
 public:
  StackPool() { free_.reserve(kMaxFreeStacks); }
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool() {
    for (ctx::stack_context& sc : free_) allocator_.deallocate(sc);
  }

  ctx::stack_context take() {
    if (free_.empty()) return allocator_.allocate();
    ctx::stack_context sc = free_.back();
    free_.pop_back();
#ifdef RMQ_ASAN
    ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(sc.sp) - sc.size, sc.size);
#endif
    return sc;
  }

  void give_back(ctx::stack_context& sc) noexcept {
    if (free_.size() < kMaxFreeStacks) {
      free_.push_back(sc);  // capacity reserved: cannot throw
      return;
    }
    allocator_.deallocate(sc);
  }

 private:
  // Stacks kept beyond the live ones. Only their touched pages use memory.
  static constexpr size_t kMaxFreeStacks = 512;
  ctx::protected_fixedsize_stack allocator_{kStackBytes};
  std::vector<ctx::stack_context> free_;
};

StackPool& thread_stack_pool() {
  thread_local StackPool pool;
  return pool;
}

// A pooled stack that tells the task where it lives.
struct RecordingStack {
  TaskState* task;

  ctx::stack_context allocate() {
    ctx::stack_context sc = thread_stack_pool().take();
    task->stack_bottom = static_cast<const char*>(sc.sp) - sc.size;
    task->stack_bytes = sc.size;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) noexcept { thread_stack_pool().give_back(sc); }
};

}  // namespace

Scheduler::Scheduler(Runtime& rt) : rt_(rt) {}

Scheduler::~Scheduler() {
  RMQ_ASSERT(current_ == nullptr);
  if (!tasks_.empty()) {
    stop_all();
    run_ready();
  }
  RMQ_ASSERT_MSG(tasks_.empty(), describe_live().c_str());
}

Task Scheduler::spawn(std::string name, std::function<void()> body) {
  auto t = std::make_shared<TaskState>();
  t->id = next_id_++;
  t->name = std::move(name);
  t->body = std::move(body);
  t->sched = this;
  t->joiners = std::make_unique<detail::WaitQueue>(rt_);
  t->cancel_requested = stopping_;
  TaskState* raw = t.get();
  t->fiber = ctx::fiber(std::allocator_arg, RecordingStack{raw},
                        [this, raw](ctx::fiber&& loop) {
                          on_task_resumed();
                          loop_ = std::move(loop);
                          entry(raw);
                          suspend_to_loop(/*exiting=*/true);
                          return std::move(loop_);
                        });
  tasks_.emplace(t->id, t);
  ready_.push_back(raw);
  return Task(std::move(t));
}

void Scheduler::entry(TaskState* t) {
  if (!t->cancel_requested) {
    try {
      t->body();
    } catch (const Cancelled&) {
      // The normal end of a cancelled task.
    } catch (const ctx::detail::forced_unwind&) {
      throw;  // Boost.Context destroying the fiber: let it through.
    } catch (const std::exception& e) {
      std::string msg = "task '" + t->name + "' threw: " + e.what();
      RMQ_UNREACHABLE(msg.c_str());
    } catch (...) {
      std::string msg = "task '" + t->name + "' threw a non-std exception";
      RMQ_UNREACHABLE(msg.c_str());
    }
  }
  t->body = nullptr;
  t->state = TaskState::State::done;
  t->joiners->notify_all();
}

void Scheduler::switch_to(TaskState* t) {
  RMQ_ASSERT(current_ == nullptr);
  RMQ_ASSERT(t->state == TaskState::State::ready);
  current_ = t;
  t->state = TaskState::State::running;
  t->started = true;
  ++switches_;
  swap_eh_state(t);
#ifdef RMQ_ASAN
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, t->stack_bottom, t->stack_bytes);
#endif
  t->fiber = std::move(t->fiber).resume();
#ifdef RMQ_ASAN
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
  swap_eh_state(t);
  current_ = nullptr;
  if (t->state == TaskState::State::done) {
    RMQ_ASSERT(!t->fiber);
    RMQ_ASSERT(t->timer_seq == 0);
    tasks_.erase(t->id);  // may free t
  }
}

uint64_t Scheduler::run_ready() {
  RMQ_ASSERT_MSG(current_ == nullptr, "run_ready() called from a task");
  uint64_t n = 0;
  while (!ready_.empty()) {
    TaskState* t = ready_.front();
    ready_.pop_front();
    switch_to(t);
    ++n;
  }
  return n;
}

bool Scheduler::current_unwinding() const { return std::uncaught_exceptions() > 0; }

std::optional<Instant> Scheduler::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

void Scheduler::fire_timers(Instant now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const uint64_t seq = timers_.begin()->second;
    TaskState* t = timer_owner_.at(seq);
    const bool woke = wake(t, WakeReason::timed_out);  // disarms
    RMQ_ASSERT(woke);
  }
}

void Scheduler::arm(TaskState* t, Instant deadline) {
  RMQ_ASSERT(t->timer_seq == 0);
  t->timer_seq = next_timer_seq_++;
  t->deadline = deadline;
  timers_.emplace(deadline, t->timer_seq);
  timer_owner_.emplace(t->timer_seq, t);
}

void Scheduler::disarm(TaskState* t) {
  if (t->timer_seq == 0) return;
  timers_.erase({t->deadline, t->timer_seq});
  timer_owner_.erase(t->timer_seq);
  t->timer_seq = 0;
  t->deadline = kNever;
}

WakeReason Scheduler::block(Instant deadline, bool cancellable) {
  TaskState* t = current_;
  RMQ_ASSERT_MSG(t != nullptr, "blocking call outside a task");
  if (cancellable && t->cancel_requested && !current_unwinding()) return WakeReason::cancelled;
  if (deadline != kNever && (stopping_ || deadline <= rt_.now())) return WakeReason::timed_out;
  t->state = TaskState::State::blocked;
  t->wake_reason = WakeReason::none;
  t->cancellable = cancellable;
  if (deadline != kNever) arm(t, deadline);
  suspend_to_loop(false);
  RMQ_ASSERT(current_ == t);
  RMQ_ASSERT(t->timer_seq == 0);
  RMQ_ASSERT(t->wake_reason != WakeReason::none);
  return t->wake_reason;
}

void Scheduler::yield() {
  TaskState* t = current_;
  RMQ_ASSERT_MSG(t != nullptr, "yield outside a task");
  t->state = TaskState::State::ready;
  ready_.push_back(t);
  suspend_to_loop(false);
  RMQ_ASSERT(current_ == t);
}

void Scheduler::suspend_to_loop(bool exiting) {
#ifdef RMQ_ASAN
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(exiting ? nullptr : &fake_stack, loop_stack_bottom_, loop_stack_bytes_);
  if (exiting) return;  // the fiber's own lambda returns to the loop
  loop_ = std::move(loop_).resume();
  __sanitizer_finish_switch_fiber(fake_stack, &loop_stack_bottom_, &loop_stack_bytes_);
#else
  if (exiting) return;
  loop_ = std::move(loop_).resume();
#endif
}

void Scheduler::on_task_resumed() {
#ifdef RMQ_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &loop_stack_bottom_, &loop_stack_bytes_);
#endif
}

bool Scheduler::wake(TaskState* t, WakeReason reason) {
  RMQ_ASSERT(reason != WakeReason::none);
  if (t->state != TaskState::State::blocked) return false;
  disarm(t);
  t->state = TaskState::State::ready;
  t->wake_reason = reason;
  ready_.push_back(t);
  return true;
}

void Scheduler::cancel(TaskState* t) {
  if (t->state == TaskState::State::done) return;
  t->cancel_requested = true;
  // A task unwinding (eh_uncaught saved while it is switched out) or in an
  // uncancellable wait finishes that wait first.
  if (t->state == TaskState::State::blocked && t->cancellable && t->eh_uncaught == 0)
    wake(t, WakeReason::cancelled);
}

void Scheduler::stop_all() {
  stopping_ = true;
  for (auto& [id, t] : tasks_) {
    cancel(t.get());
    if (t->state == TaskState::State::blocked && t->timer_seq != 0)
      wake(t.get(), WakeReason::timed_out);
  }
}

std::string Scheduler::describe_live() const {
  std::string out = std::to_string(tasks_.size()) + " live task(s):";
  for (const auto& [id, t] : tasks_) out += " '" + t->name + "'";
  return out;
}

}  // namespace rmq::rt
