// Backend-independent parts of the contract: errors, time helpers, Random,
// Task, the sync primitives and the Runtime base.
#include "runtime/runtime.h"

#include <charconv>
#include <exception>

#include "runtime/scheduler.h"

namespace rmq::rt {

std::string_view to_string(Errc e) {
  switch (e) {
    case Errc::timeout: return "timeout";
    case Errc::cancelled: return "cancelled";
    case Errc::closed: return "closed";
    case Errc::reset: return "connection reset";
    case Errc::refused: return "connection refused";
    case Errc::unreachable: return "unreachable";
    case Errc::address_in_use: return "address in use";
    case Errc::invalid_argument: return "invalid argument";
    case Errc::not_found: return "not found";
    case Errc::already_exists: return "already exists";
    case Errc::not_empty: return "directory not empty";
    case Errc::no_space: return "no space left on device";
    case Errc::io_error: return "I/O error";
  }
  return "unknown error";
}

std::string Error::message() const {
  std::string out(to_string(code_));
  if (!detail_.empty()) {
    out += ": ";
    out += detail_;
  }
  return out;
}

Instant deadline_after(Instant now, Duration d) {
  if (d <= Duration::zero()) return now;
  if (d == kForever || now.time_since_epoch() > kNever.time_since_epoch() - d) return kNever;
  return now + d;
}

// ---------------------------------------------------------------------------
// Random

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Random::Random(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t Random::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Random::below(uint64_t n) {
  RMQ_ASSERT(n > 0);
  // Rejection sampling: uniform without modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return x % n;
}

int64_t Random::between(int64_t lo, int64_t hi) {
  RMQ_ASSERT(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(next_u64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + below(span + 1));
}

double Random::unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

bool Random::chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return unit() < p;
}

Random Random::fork() { return Random(next_u64()); }

// ---------------------------------------------------------------------------
// Task

bool Task::done() const {
  RMQ_ASSERT(valid());
  return s_->state == TaskState::State::done;
}

const std::string& Task::name() const {
  RMQ_ASSERT(valid());
  return s_->name;
}

void Task::cancel() {
  RMQ_ASSERT(valid());
  s_->sched->cancel(s_.get());
}

Result<void> Task::join(Duration timeout) {
  RMQ_ASSERT(valid());
  Scheduler& sched = *s_->sched;
  RMQ_ASSERT_MSG(sched.current() != s_.get(), "a task cannot join itself");
  const Instant deadline = deadline_after(sched.runtime().now(), timeout);
  while (s_->state != TaskState::State::done) {
    auto w = s_->joiners->wait(deadline);
    if (s_->state == TaskState::State::done) break;
    if (w == detail::WaitQueue::Woken::cancelled) return detail::on_cancelled();
    if (w == detail::WaitQueue::Woken::timed_out) return Error(Errc::timeout, "join " + s_->name);
  }
  return {};
}

void Task::cancel_and_join() {
  RMQ_ASSERT(valid());
  RMQ_ASSERT_MSG(s_->sched->current() != s_.get(), "a task cannot join itself");
  cancel();
  while (s_->state != TaskState::State::done) (void)s_->joiners->wait_uncancellable(kNever);
}

// ---------------------------------------------------------------------------
// WaitQueue

namespace detail {

struct Waiter {
  TaskState* task;
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool linked = false;

  void link(WaitQueue& q) {
    prev = q.tail_;
    next = nullptr;
    if (q.tail_) q.tail_->next = this; else q.head_ = this;
    q.tail_ = this;
    linked = true;
  }
  void unlink(WaitQueue& q) {
    RMQ_ASSERT(linked);
    if (prev) prev->next = next; else q.head_ = next;
    if (next) next->prev = prev; else q.tail_ = prev;
    prev = next = nullptr;
    linked = false;
  }
};

WaitQueue::WaitQueue(Runtime& rt) : rt_(rt) {}

WaitQueue::~WaitQueue() { RMQ_ASSERT_MSG(head_ == nullptr, "WaitQueue destroyed with waiters"); }

namespace {
WaitQueue::Woken wait_on(WaitQueue& q, Waiter& w, Scheduler& s, Instant deadline, bool cancellable) {
  const WakeReason r = s.block(deadline, cancellable);
  if (w.linked) w.unlink(q);
  switch (r) {
    case WakeReason::notified: return WaitQueue::Woken::notified;
    case WakeReason::timed_out: return WaitQueue::Woken::timed_out;
    case WakeReason::cancelled: return WaitQueue::Woken::cancelled;
    case WakeReason::none: break;
  }
  RMQ_UNREACHABLE("woken without a reason");
}
}  // namespace

WaitQueue::Woken WaitQueue::wait(Instant deadline) {
  Scheduler& s = rt_.scheduler();
  Waiter w{s.current()};
  RMQ_ASSERT_MSG(w.task != nullptr, "wait outside a task");
  w.link(*this);
  return wait_on(*this, w, s, deadline, true);
}

WaitQueue::Woken WaitQueue::wait_uncancellable(Instant deadline) {
  Scheduler& s = rt_.scheduler();
  Waiter w{s.current()};
  RMQ_ASSERT_MSG(w.task != nullptr, "wait outside a task");
  w.link(*this);
  return wait_on(*this, w, s, deadline, false);
}

TaskState* WaitQueue::notify_one() {
  Scheduler& s = rt_.scheduler();
  while (head_ != nullptr) {
    Waiter* w = head_;
    w->unlink(*this);
    // A waiter already woken for another reason (timeout, cancellation) has
    // not run yet to unlink itself; skip it so the notification is not lost.
    if (s.wake(w->task, WakeReason::notified)) return w->task;
  }
  return nullptr;
}

void WaitQueue::notify_all() {
  while (notify_one() != nullptr) {
  }
}

Error on_cancelled() {
  if (std::uncaught_exceptions() > 0) return Error(Errc::cancelled);
  throw Cancelled{};
}

}  // namespace detail

using Woken = detail::WaitQueue::Woken;

// ---------------------------------------------------------------------------
// Event, Mutex, CondVar, WaitGroup

void Event::set() {
  set_ = true;
  q_.notify_all();
}

Result<void> Event::wait(Duration timeout) {
  const Instant deadline = deadline_after(q_.runtime().now(), timeout);
  while (!set_) {
    const Woken w = q_.wait(deadline);
    if (set_) break;
    if (w == Woken::cancelled) return detail::on_cancelled();
    if (w == Woken::timed_out) return Errc::timeout;
  }
  return {};
}

Result<void> Mutex::lock(Duration timeout) {
  const TaskState* me = q_.runtime().scheduler().current();
  RMQ_ASSERT_MSG(me != nullptr, "Mutex::lock outside a task");
  RMQ_ASSERT_MSG(owner_ != me, "Mutex is not recursive");
  if (owner_ == nullptr) {
    owner_ = me;
    return {};
  }
  const Instant deadline = deadline_after(q_.runtime().now(), timeout);
  for (;;) {
    const Woken w = q_.wait(deadline);
    if (owner_ == me) return {};  // handed over by unlock()
    if (w == Woken::cancelled) return detail::on_cancelled();
    if (w == Woken::timed_out) return Errc::timeout;
  }
}

void Mutex::lock_uncancellable() {
  const TaskState* me = q_.runtime().scheduler().current();
  if (owner_ == nullptr) {
    owner_ = me;
    return;
  }
  while (owner_ != me) (void)q_.wait_uncancellable(kNever);
}

bool Mutex::try_lock() {
  if (owner_ != nullptr) return false;
  owner_ = q_.runtime().scheduler().current();
  RMQ_ASSERT_MSG(owner_ != nullptr, "Mutex::try_lock outside a task");
  return true;
}

void Mutex::unlock() {
  RMQ_ASSERT_MSG(owner_ == q_.runtime().scheduler().current(), "unlock by a non-owner");
  owner_ = q_.notify_one();  // FIFO hand-over, or nullptr: free
}

LockGuard::LockGuard(Mutex& m) : m_(m) {
  // An untimed lock fails only by cancellation, which lock() throws (it never
  // reports it as a value here: an unwinding task is not woken by cancel()).
  auto r = m_.lock();
  RMQ_ASSERT(r.ok());
}

Result<void> CondVar::wait(Mutex& m, Duration timeout) {
  RMQ_ASSERT_MSG(m.owner_ == q_.runtime().scheduler().current(), "CondVar::wait without the mutex");
  const Instant deadline = deadline_after(q_.runtime().now(), timeout);
  m.unlock();
  const Woken w = q_.wait(deadline);
  m.lock_uncancellable();
  if (w == Woken::cancelled) return detail::on_cancelled();
  if (w == Woken::timed_out) return Errc::timeout;
  return {};
}

void WaitGroup::add(int64_t n) {
  count_ += n;
  RMQ_ASSERT_MSG(count_ >= 0, "WaitGroup::done() without add()");
  if (count_ == 0) q_.notify_all();
}

void WaitGroup::done() { add(-1); }

Result<void> WaitGroup::wait(Duration timeout) {
  const Instant deadline = deadline_after(q_.runtime().now(), timeout);
  while (count_ > 0) {
    const Woken w = q_.wait(deadline);
    if (count_ == 0) break;
    if (w == Woken::cancelled) return detail::on_cancelled();
    if (w == Woken::timed_out) return Errc::timeout;
  }
  return {};
}

// ---------------------------------------------------------------------------
// Conn helpers

Result<void> Conn::read_exact(MutableBytes buf, Duration timeout) {
  size_t got = 0;
  while (got < buf.size()) {
    auto n = read_some(buf.subspan(got), timeout);
    if (!n) return n.error();
    if (*n == 0) return Error(Errc::closed, "peer closed " + peer_);
    got += *n;
  }
  return {};
}

Result<void> Conn::write_pieces_by(std::span<const Piece> pieces, Duration timeout,
                                   const std::function<Result<void>(const Piece&)>& send_range) {
  std::vector<ConstBytes> run;  // consecutive byte pieces, written at once
  const auto flush_run = [&]() -> Result<void> {
    if (run.empty()) return {};
    auto w = write_all(std::span<const ConstBytes>(run), timeout);
    run.clear();
    return w;
  };
  for (const Piece& p : pieces) {
    if (p.file == nullptr) {
      run.push_back(p.bytes);
      continue;
    }
    if (auto w = flush_run(); !w) return w;
    if (auto w = send_range(p); !w) return w;
  }
  return flush_run();
}

Result<void> Conn::do_write_pieces(std::span<const Piece> pieces, Duration timeout) {
  return write_pieces_by(pieces, timeout,
                         [&](const Piece& p) { return send_file(*p.file, p.offset, p.length, timeout); });
}

// ---------------------------------------------------------------------------
// Runtime

Runtime::Runtime(std::string name, uint64_t seed)
    : name_(std::move(name)), random_(seed), sched_(std::make_unique<Scheduler>(*this)) {}

Runtime::~Runtime() = default;

Task Runtime::spawn(std::string name, std::function<void()> body) {
  return sched_->spawn(std::move(name), std::move(body));
}

void Runtime::sleep_until(Instant t) {
  const WakeReason r = sched_->block(t);
  if (r == WakeReason::cancelled) (void)detail::on_cancelled();
}

void Runtime::sleep_for(Duration d) { sleep_until(deadline_after(now(), d)); }

void Runtime::yield() {
  TaskState* t = sched_->current();
  RMQ_ASSERT_MSG(t != nullptr, "yield outside a task");
  if (t->cancel_requested && !sched_->current_unwinding()) throw Cancelled{};
  sched_->yield();
}

bool Runtime::stopping() const { return sched_->stopping(); }

Result<HostPort> parse_address(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos)
    return Error(Errc::invalid_argument, "address without port: '" + std::string(address) + "'");
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  int dots = 0;
  int part = -1;
  for (char c : host) {
    if (c == '.') {
      if (part < 0) break;
      ++dots;
      part = -1;
    } else if (c >= '0' && c <= '9') {
      part = (part < 0 ? 0 : part * 10) + (c - '0');
      if (part > 255) break;
    } else {
      part = -2;
      break;
    }
  }
  if (dots != 3 || part < 0 || part > 255)
    return Error(Errc::invalid_argument, "host is not an IPv4 address: '" + std::string(address) + "'");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || value > 65535)
    return Error(Errc::invalid_argument, "bad port: '" + std::string(address) + "'");
  return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

}  // namespace rmq::rt
