// The event loop of a RealRuntime, and the one way its tasks wait for Asio.
// Internal to runtime/real/: components only see rt::Runtime.
//
// Everything here runs on the runtime's own thread. The loop alternates
//     run ready tasks -> wait for I/O until the next timer -> run handlers
//     -> fire due timers
// and Asio completion handlers wake the task that waits for them.
//
// The safety rule of every wait: an operation in flight may write into a
// buffer on the waiting task's stack, so a wait that ends by timeout or
// cancellation first cancels the operation and then waits, uncancellably,
// until its handler has run. No task ever unwinds while the kernel can still
// touch its stack.
#pragma once

#include <asio.hpp>

#include <cstddef>
#include <functional>
#include <string>

#include "runtime/runtime.h"
#include "runtime/scheduler.h"

namespace rmq::real {

// An object with Asio operations that shutdown must be able to abort (a
// socket, an acceptor). Registered with its Loop for its whole life.
class IoObject {
 public:
  // Aborts every operation in flight; their handlers report
  // operation_aborted.
  virtual void cancel_io() = 0;

 protected:
  IoObject() = default;
  virtual ~IoObject() = default;
  IoObject(const IoObject&) = delete;
  IoObject& operator=(const IoObject&) = delete;

 private:
  friend class Loop;
  IoObject* prev_ = nullptr;
  IoObject* next_ = nullptr;
  bool registered_ = false;
};

class Loop {
 public:
  explicit Loop(rt::Runtime& rt);
  // REQUIRES: every IoObject has been destroyed (they reference io()).
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  rt::Runtime& runtime() { return rt_; }
  rt::Scheduler& sched() { return rt_.scheduler(); }
  asio::io_context& io() { return io_; }
  bool stopping() const { return rt_.stopping(); }

  // Runs tasks, I/O completions and timers until `done()` holds. `done` is
  // checked whenever no task is ready. REQUIRES: called outside any task.
  void run_until(const std::function<bool()>& done);

  void add(IoObject& o);
  void remove(IoObject& o);
  // Aborts the operations of every registered object (at shutdown, so that a
  // task unwinding inside an untimed read cannot hold shutdown up).
  void cancel_all_io();

 private:
  void wait_for_events();

  rt::Runtime& rt_;
  // Concurrency hint 1: only this thread runs it; post() from other threads
  // (request_stop) stays safe.
  asio::io_context io_{1};
  // Keeps run_one() blocking while no operation is pending.
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  IoObject* head_ = nullptr;  // registered objects, in registration order
};

// One Asio operation awaited by the current task. Create it on the task's
// stack, start the operation with on_bytes()/on_done() as its handler, then
// call wait(). Neither copyable nor movable: the handler points at it.
class AsioOp {
 public:
  explicit AsioOp(Loop& loop);
  AsioOp(const AsioOp&) = delete;
  AsioOp& operator=(const AsioOp&) = delete;

  // Handler for operations that complete with (error_code, bytes).
  auto on_bytes() {
    return asio::bind_cancellation_slot(
        signal_.slot(), [this](const asio::error_code& ec, size_t n) { complete(ec, n); });
  }
  // Handler for operations that complete with (error_code) only.
  auto on_done() {
    return asio::bind_cancellation_slot(signal_.slot(),
                                        [this](const asio::error_code& ec) { complete(ec, 0); });
  }

  enum class End { completed, timed_out, cancelled };
  // Suspends until the operation completes, `deadline` passes, or the task
  // is cancelled. On the last two it aborts the operation and waits for its
  // handler before returning. Returns `completed` whenever the operation
  // finished by itself (even if a timeout raced it): then ec()/bytes() hold
  // its real outcome, which the caller must honour (data may have arrived).
  End wait(rt::Instant deadline);

  const asio::error_code& ec() const { return ec_; }
  size_t bytes() const { return bytes_; }

 private:
  void complete(const asio::error_code& ec, size_t n);

  rt::Scheduler& sched_;
  rt::TaskState* task_;
  asio::cancellation_signal signal_;
  bool done_ = false;
  asio::error_code ec_;
  size_t bytes_ = 0;
};

}  // namespace rmq::real
