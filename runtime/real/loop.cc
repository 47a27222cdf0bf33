#include "runtime/real/loop.h"


namespace rmq::real {

using rt::WakeReason;

Loop::Loop(rt::Runtime& rt) : rt_(rt), work_(asio::make_work_guard(io_)) {}

Loop::~Loop() { RMQ_ASSERT_MSG(head_ == nullptr, "a Conn or Listener outlives its RealRuntime"); }

void Loop::run_until(const std::function<bool()>& done) {
  rt::Scheduler& s = sched();
  RMQ_ASSERT_MSG(!s.in_task(), "the loop runs outside tasks");
  for (;;) {
    s.run_ready();
    if (done()) return;
    wait_for_events();
    io_.poll();  // every other handler that is ready, without blocking
    s.fire_timers(rt_.now());
  }
}

void Loop::wait_for_events() {
  const std::optional<rt::Instant> deadline = sched().next_deadline();
  if (!deadline) {
    io_.run_one();  // the work guard makes this block until a handler runs
    return;
  }
  const rt::Instant now = rt_.now();
  if (*deadline <= now) return;
  io_.run_one_for(*deadline - now);
}

void Loop::add(IoObject& o) {
  RMQ_ASSERT(!o.registered_);
  o.prev_ = nullptr;
  o.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &o;
  head_ = &o;
  o.registered_ = true;
}

void Loop::remove(IoObject& o) {
  RMQ_ASSERT(o.registered_);
  if (o.prev_ != nullptr) o.prev_->next_ = o.next_; else head_ = o.next_;
  if (o.next_ != nullptr) o.next_->prev_ = o.prev_;
  o.prev_ = o.next_ = nullptr;
  o.registered_ = false;
}

void Loop::cancel_all_io() {
  // cancel_io() only queues handlers (they run later, from the loop), so the
  // list cannot change under this walk.
  for (IoObject* o = head_; o != nullptr; o = o->next_) o->cancel_io();
}

// ---------------------------------------------------------------------------
// AsioOp

AsioOp::AsioOp(Loop& loop) : sched_(loop.sched()), task_(loop.sched().current()) {
  RMQ_ASSERT_MSG(task_ != nullptr, "network I/O outside a task");
}

void AsioOp::complete(const asio::error_code& ec, size_t n) {
  RMQ_ASSERT(!done_);
  done_ = true;
  ec_ = ec;
  bytes_ = n;
  // No-op if the task is already ready (woken by its timeout or a cancel):
  // it finds done_ set when it runs.
  (void)sched_.wake(task_, WakeReason::notified);
}

AsioOp::End AsioOp::wait(rt::Instant deadline) {
  RMQ_ASSERT(sched_.current() == task_);
  // Asio never runs a handler inside the call that starts the operation.
  RMQ_ASSERT(!done_);
  const WakeReason r = sched_.block(deadline, /*cancellable=*/true);
  if (done_) return End::completed;
  // Only complete() wakes this task with `notified`.
  RMQ_ASSERT(r == WakeReason::timed_out || r == WakeReason::cancelled);
  // The operation may still own a buffer on this stack: abort it and wait
  // until its handler has run. If it already completed (handler queued),
  // the abort is a no-op and the handler brings the real outcome.
  signal_.emit(asio::cancellation_type::terminal);
  while (!done_) (void)sched_.block(rt::kNever, /*cancellable=*/false);
  if (ec_ != asio::error::operation_aborted) return End::completed;
  return r == WakeReason::timed_out ? End::timed_out : End::cancelled;
}

}  // namespace rmq::real
