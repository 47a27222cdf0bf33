// The runtime contract: everything a component may ask of the machine.
//
// Every component (namesrv, broker, store, client) is written against this
// header only. Two backends implement it:
//   - runtime/real/  production: Asio sockets and timers, io_uring files;
//   - sim/           deterministic simulation: one event queue, simulated
//                    network and disks, fault injection, a trace hash.
// A component cannot tell which one it runs on.
//
// Threading. One Runtime is one node (one process in production). It is
// single-threaded: all of its tasks run on one OS thread, one at a time, and
// switch only at suspension points. No locks are needed between tasks of one
// runtime; state read before a suspension point may be stale after it.
// Suspension points are exactly the calls documented "suspends" below.
//
// Tasks are stackful fibers. Code is written in blocking style.
//
// Time. `now()` is monotonic and only moves forward; `wall_ms()` is the wall
// clock (milliseconds since the Unix epoch) used for store timestamps. In the
// simulator both are simulated, and the wall clock of each node may be skewed
// and drift.
//
// Errors are values (`Result<T>`), never exceptions, with one exception:
// cancellation. When a task is cancelled, its current or next suspension point
// throws `Cancelled`, which unwinds its stack (running destructors) to the
// task's entry, where the runtime catches it. Code that catches `...` must
// rethrow. While a task is already unwinding, suspension points behave
// normally (so destructors may join or close), and report cancellation as
// `Errc::cancelled` instead of throwing.
//
// Node crash (simulator) and runtime shutdown cancel every task at once. From
// then on I/O fails at once with `Errc::cancelled` and has no effect, and timed
// waits time out at once: nothing a destructor does reaches disk or network.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/assert.h"

namespace rmq::rt {

// ---------------------------------------------------------------------------
// Errors

enum class Errc {
  timeout,           // the deadline passed first
  cancelled,         // the task was cancelled / the node is going down
  closed,            // the object was closed locally (or channel closed)
  reset,             // the peer reset the connection
  refused,           // nobody listens at that address
  unreachable,       // bad address / no route
  address_in_use,    // listen on an address already bound
  invalid_argument,  // malformed address, bad offset, ...
  not_found,         // no such file or directory
  already_exists,    // create_new on an existing path
  not_empty,         // remove of a non-empty directory
  no_space,          // ENOSPC
  io_error,          // EIO and everything else from the OS
};

std::string_view to_string(Errc e);

// An error code plus a human-readable detail ("open /x/y: not found").
class Error {
 public:
  Error(Errc code, std::string detail = {}) : code_(code), detail_(std::move(detail)) {}
  Errc code() const { return code_; }
  const std::string& detail() const { return detail_; }
  // "timeout: connect 127.0.0.1:9876"
  std::string message() const;

 private:
  Errc code_;
  std::string detail_;
};

// Either a value or an Error. Cheap to move; check before use.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}
  Result(Errc e) : v_(std::in_place_index<1>, Error(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { RMQ_ASSERT_MSG(ok(), "Result::value() on error"); return std::get<0>(v_); }
  const T& value() const& { RMQ_ASSERT_MSG(ok(), "Result::value() on error"); return std::get<0>(v_); }
  T&& value() && { RMQ_ASSERT_MSG(ok(), "Result::value() on error"); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { RMQ_ASSERT_MSG(!ok(), "Result::error() on success"); return std::get<1>(v_); }
  Errc code() const { return error().code(); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : e_(std::move(e)) {}
  Result(Errc e) : e_(Error(e)) {}

  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const { RMQ_ASSERT_MSG(ok(), "Result::value() on error"); }
  const Error& error() const { RMQ_ASSERT_MSG(!ok(), "Result::error() on success"); return *e_; }
  Errc code() const { return error().code(); }

 private:
  std::optional<Error> e_;
};

// Thrown at a suspension point of a cancelled task. Not a std::exception, so
// `catch (const std::exception&)` does not swallow it.
struct Cancelled {};

// ---------------------------------------------------------------------------
// Time

using Duration = std::chrono::nanoseconds;
inline constexpr Duration kForever = Duration::max();

// Tag clock for monotonic instants; it has no now(): ask the Runtime.
struct MonotonicClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = Duration;
  using time_point = std::chrono::time_point<MonotonicClock, Duration>;
  static constexpr bool is_steady = true;
};
using Instant = MonotonicClock::time_point;
inline constexpr Instant kNever = Instant::max();

// now + d, saturating at kNever (so kForever timeouts never overflow).
Instant deadline_after(Instant now, Duration d);

// ---------------------------------------------------------------------------
// Randomness: xoshiro256**, seeded. The same seed gives the same sequence on
// every platform (no std distributions, whose output is unspecified).

class Random {
 public:
  explicit Random(uint64_t seed);
  uint64_t next_u64();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t below(uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t between(int64_t lo, int64_t hi);
  // Uniform in [0, 1).
  double unit();
  // True with probability p.
  bool chance(double p);
  // An independent generator derived from this one's next output.
  Random fork();

 private:
  uint64_t s_[4];
};

// ---------------------------------------------------------------------------
// Tasks

class Runtime;
class Scheduler;
struct TaskState;

// Handle to a spawned task. Copyable; dropping every handle does not stop the
// task (it is owned by its runtime until it returns). Call from tasks of the
// same runtime (or before/after it runs).
class Task {
 public:
  Task() = default;
  explicit Task(std::shared_ptr<TaskState> s) : s_(std::move(s)) {}

  bool valid() const { return s_ != nullptr; }
  bool done() const;
  const std::string& name() const;
  // Requests cancellation: the task's current or next suspension point throws
  // Cancelled. A task that has not started yet never runs. Idempotent.
  void cancel();
  // Suspends until the task has returned (or unwound). Errc::timeout if it has
  // not within `timeout`.
  Result<void> join(Duration timeout = kForever);
  // Cancels the task and waits for it to finish, ignoring the caller's own
  // cancellation: for destructors of objects whose tasks use them (a
  // cancelled task finishes at its next suspension point).
  void cancel_and_join();

 private:
  std::shared_ptr<TaskState> s_;
};

// ---------------------------------------------------------------------------
// Sync primitives. All belong to one runtime and are used by its tasks only.
// Waits suspend; they return Errc::timeout when the timeout passes first and
// throw Cancelled when the waiting task is cancelled.

namespace detail {
struct Waiter;
// FIFO list of blocked tasks. The building block of every primitive below.
class WaitQueue {
 public:
  explicit WaitQueue(Runtime& rt);
  ~WaitQueue();
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  enum class Woken { notified, timed_out, cancelled };
  // Suspends the calling task until notified, `deadline`, or cancellation.
  Woken wait(Instant deadline);
  // Like wait(), but a pending cancellation does not end the wait.
  Woken wait_uncancellable(Instant deadline);
  // Wakes the longest waiter still blocked and returns it (nullptr if none).
  TaskState* notify_one();
  void notify_all();
  bool empty() const { return head_ == nullptr; }
  Runtime& runtime() const { return rt_; }

 private:
  Runtime& rt_;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  friend struct Waiter;
};
// Throws Cancelled, or returns Errc::cancelled when the task is unwinding.
Error on_cancelled();
}  // namespace detail

// A flag tasks can wait for. Stays set until reset().
class Event {
 public:
  explicit Event(Runtime& rt) : q_(rt) {}
  void set();
  void reset() { set_ = false; }
  bool is_set() const { return set_; }
  Result<void> wait(Duration timeout = kForever);

 private:
  detail::WaitQueue q_;
  bool set_ = false;
};

// Non-recursive FIFO mutex, for critical sections that suspend.
class Mutex {
 public:
  explicit Mutex(Runtime& rt) : q_(rt) {}
  Result<void> lock(Duration timeout = kForever);
  bool try_lock();
  void unlock();  // REQUIRES: held by the calling task
  bool locked() const { return owner_ != nullptr; }

 private:
  friend class CondVar;
  void lock_uncancellable();
  detail::WaitQueue q_;
  const TaskState* owner_ = nullptr;
};

// RAII holder for a Mutex locked with no timeout.
class LockGuard {
 public:
  explicit LockGuard(Mutex& m);
  ~LockGuard() { m_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Mutex& m_;
};

class CondVar {
 public:
  explicit CondVar(Runtime& rt) : q_(rt) {}
  // REQUIRES: `m` held. Releases it while waiting and holds it again on every
  // return, including timeout and cancellation.
  Result<void> wait(Mutex& m, Duration timeout = kForever);
  void notify_one() { q_.notify_one(); }
  void notify_all() { q_.notify_all(); }

 private:
  detail::WaitQueue q_;
};

// Waits for a counter of outstanding work to reach zero.
class WaitGroup {
 public:
  explicit WaitGroup(Runtime& rt) : q_(rt) {}
  void add(int64_t n = 1);
  void done();
  int64_t count() const { return count_; }
  Result<void> wait(Duration timeout = kForever);

 private:
  detail::WaitQueue q_;
  int64_t count_ = 0;
};

// Bounded FIFO channel. send() waits while full; recv() waits while empty.
// After close(), send fails with Errc::closed and recv drains what is left,
// then fails with Errc::closed.
template <class T>
class Channel {
 public:
  Channel(Runtime& rt, size_t capacity) : senders_(rt), receivers_(rt), capacity_(capacity) {
    RMQ_ASSERT(capacity > 0);
  }

  Result<void> send(T value, Duration timeout = kForever) {
    const Instant deadline = deadline_after(now(), timeout);
    while (!closed_ && items_.size() >= capacity_) {
      auto w = senders_.wait(deadline);
      if (w == detail::WaitQueue::Woken::cancelled) return detail::on_cancelled();
      if (w == detail::WaitQueue::Woken::timed_out && !closed_ && items_.size() >= capacity_)
        return Errc::timeout;
    }
    if (closed_) return Errc::closed;
    items_.push_back(std::move(value));
    receivers_.notify_one();
    return {};
  }

  bool try_send(T value) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(value));
    receivers_.notify_one();
    return true;
  }

  Result<T> recv(Duration timeout = kForever) {
    const Instant deadline = deadline_after(now(), timeout);
    while (!closed_ && items_.empty()) {
      auto w = receivers_.wait(deadline);
      if (w == detail::WaitQueue::Woken::cancelled) return detail::on_cancelled();
      if (w == detail::WaitQueue::Woken::timed_out && !closed_ && items_.empty())
        return Errc::timeout;
    }
    if (items_.empty()) return Errc::closed;
    return pop();
  }

  std::optional<T> try_recv() {
    if (items_.empty()) return std::nullopt;
    return pop();
  }

  void close() {
    closed_ = true;
    senders_.notify_all();
    receivers_.notify_all();
  }
  bool closed() const { return closed_; }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  Instant now() const;
  T pop() {
    T v = std::move(items_.front());
    items_.pop_front();
    senders_.notify_one();
    return v;
  }
  detail::WaitQueue senders_;
  detail::WaitQueue receivers_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------
// File system. Paths are '/'-separated strings. A File is used by the tasks of
// one runtime; concurrent operations on one File are allowed.
//
// Durability, as on Linux: write_at() data reaches the page cache (survives a
// process crash) and becomes durable (survives power loss) only after sync().
// A created, renamed or removed directory entry becomes durable only after
// sync_dir() of its parent directory.

using ConstBytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

class File {
 public:
  virtual ~File() = default;
  const std::string& path() const { return path_; }

  // Reads up to buf.size() bytes at `offset`; fewer only at end of file.
  // Suspends.
  Result<size_t> read_at(uint64_t offset, MutableBytes buf) { return do_read_at(offset, buf); }
  // Writes all of `data` at `offset`, extending the file if needed. Suspends.
  Result<void> write_at(uint64_t offset, ConstBytes data) { return do_write_at(offset, data); }
  // fdatasync: every write that completed before this call is durable when
  // it returns ok. On error, nothing is promised. Suspends.
  Result<void> sync() { return do_sync(); }
  // Sets the size; the bytes past a grown size read as zeros. Suspends.
  Result<void> truncate(uint64_t size_bytes) { return do_truncate(size_bytes); }
  Result<uint64_t> size() { return do_size(); }

 protected:
  explicit File(std::string path) : path_(std::move(path)) {}

 private:
  virtual Result<size_t> do_read_at(uint64_t offset, MutableBytes buf) = 0;
  virtual Result<void> do_write_at(uint64_t offset, ConstBytes data) = 0;
  virtual Result<void> do_sync() = 0;
  virtual Result<void> do_truncate(uint64_t size_bytes) = 0;
  virtual Result<uint64_t> do_size() = 0;
  std::string path_;
};

enum class OpenMode {
  existing,    // read/write; Errc::not_found if missing
  create,      // read/write; created empty if missing
  create_new,  // read/write; Errc::already_exists if present
};

struct DiskUsage {
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Suspend where they touch the disk.
  virtual Result<std::unique_ptr<File>> open(std::string_view path, OpenMode mode) = 0;
  virtual Result<bool> exists(std::string_view path) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual Result<std::vector<std::string>> list(std::string_view dir) = 0;
  // Creates the directory and any missing parents. Ok if it exists.
  virtual Result<void> create_dirs(std::string_view dir) = 0;
  // Atomically replaces `to` with `from`.
  virtual Result<void> rename(std::string_view from, std::string_view to) = 0;
  // Removes a file or an empty directory.
  virtual Result<void> remove(std::string_view path) = 0;
  // Makes the directory's entries (creates, renames, removes) durable.
  virtual Result<void> sync_dir(std::string_view dir) = 0;
  virtual Result<DiskUsage> disk_usage(std::string_view path) = 0;
};

// ---------------------------------------------------------------------------
// Network: TCP-like ordered, reliable byte streams. Addresses are "host:port"
// (IPv4 dotted quad). At most one task reads and one task writes a Conn at a
// time. After a write error or write timeout the stream is unusable: close it.

class Conn {
 public:
  virtual ~Conn() = default;  // closes (gracefully) if still open

  // Reads what is available, at least 1 byte; 0 means the peer closed its
  // side and everything it wrote has been read. Suspends.
  Result<size_t> read_some(MutableBytes buf, Duration timeout = kForever) {
    RMQ_ASSERT(!buf.empty());
    return do_read_some(buf, timeout);
  }
  // Reads exactly buf.size() bytes; Errc::closed if the peer closes first.
  Result<void> read_exact(MutableBytes buf, Duration timeout = kForever);
  // Writes every byte of every buffer, in order. Suspends.
  Result<void> write_all(std::span<const ConstBytes> bufs, Duration timeout = kForever) {
    return do_write_all(bufs, timeout);
  }
  Result<void> write_all(ConstBytes buf, Duration timeout = kForever) {
    return do_write_all(std::span<const ConstBytes>(&buf, 1), timeout);
  }
  // Sends `len` bytes of `file` from `offset` (zero-copy in production).
  // Errc::invalid_argument if the file is shorter. Suspends.
  Result<void> send_file(File& file, uint64_t offset, uint64_t len, Duration timeout = kForever) {
    return do_send_file(file, offset, len, timeout);
  }
  // One part of a gathered write: `bytes`, or, when `file` is set, `length`
  // bytes of it from `offset`.
  struct Piece {
    ConstBytes bytes;
    File* file = nullptr;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  // Writes the pieces in order: bytes as write_all does, file ranges as
  // send_file does, each within `timeout`. In production the socket is
  // corked meanwhile, so that many small pieces leave in full segments.
  // Suspends.
  Result<void> write_pieces(std::span<const Piece> pieces, Duration timeout = kForever) {
    return do_write_pieces(pieces, timeout);
  }
  // Graceful close: the peer reads what was written, then end of stream.
  // Wakes local readers/writers with Errc::closed. Idempotent.
  void close() { do_close(false); }
  // Abortive close (RST): the peer's reads and writes fail with Errc::reset.
  void abort() { do_close(true); }

  const std::string& peer_address() const { return peer_; }
  const std::string& local_address() const { return local_; }

 protected:
  Conn(std::string local, std::string peer) : local_(std::move(local)), peer_(std::move(peer)) {}
  // write_pieces' loop for the backends: each run of byte pieces in one
  // write_all, each file piece by `send_range`.
  Result<void> write_pieces_by(std::span<const Piece> pieces, Duration timeout,
                               const std::function<Result<void>(const Piece&)>& send_range);

 private:
  virtual Result<size_t> do_read_some(MutableBytes buf, Duration timeout) = 0;
  virtual Result<void> do_write_all(std::span<const ConstBytes> bufs, Duration timeout) = 0;
  virtual Result<void> do_send_file(File& file, uint64_t offset, uint64_t len, Duration timeout) = 0;
  // By default the pieces one by one (runs of bytes gathered).
  virtual Result<void> do_write_pieces(std::span<const Piece> pieces, Duration timeout);
  virtual void do_close(bool reset) = 0;
  std::string local_;
  std::string peer_;
};

class Listener {
 public:
  virtual ~Listener() = default;  // stops listening
  // Waits for the next incoming connection. Suspends.
  virtual Result<std::unique_ptr<Conn>> accept(Duration timeout = kForever) = 0;
  // The bound address, with the real port when listening on port 0.
  virtual const std::string& address() const = 0;
  // Wakes a pending accept with Errc::closed. Idempotent.
  virtual void close() = 0;
};

// ---------------------------------------------------------------------------
// Logging: one line per call, prefixed with the node name and its time.

enum class LogLevel { debug, info, warn, error };

// ---------------------------------------------------------------------------
// The runtime: one per node.

class Runtime {
 public:
  virtual ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const std::string& name() const { return name_; }

  // Clock.
  Instant now() const { return do_now(); }
  int64_t wall_ms() const { return do_wall_ms(); }

  // Tasks. A spawned task starts when the spawner next suspends (or when the
  // backend's loop runs). `name` shows in logs and traces.
  Task spawn(std::string name, std::function<void()> body);
  // Suspends for `d` / until `t`. Throws Cancelled.
  void sleep_for(Duration d);
  void sleep_until(Instant t);
  // Lets every other ready task run once, then continues.
  void yield();
  // True once the runtime is shutting down or the node crashed: every task
  // has been cancelled and I/O fails.
  bool stopping() const;

  // Network.
  Result<std::unique_ptr<Listener>> listen(std::string_view address) { return do_listen(address); }
  // Suspends until connected, refused, or `timeout`. A refusal's or a
  // timeout's detail begins "connect <address>" (callers need not repeat it).
  Result<std::unique_ptr<Conn>> connect(std::string_view address, Duration timeout) {
    return do_connect(address, timeout);
  }

  FileSystem& fs() { return do_fs(); }
  Random& random() { return random_; }

  void log(LogLevel level, std::string_view message) { do_log(level, message); }

  // For backends and primitives, not components.
  Scheduler& scheduler() { return *sched_; }

 protected:
  Runtime(std::string name, uint64_t seed);

 private:
  virtual Instant do_now() const = 0;
  virtual int64_t do_wall_ms() const = 0;
  virtual Result<std::unique_ptr<Listener>> do_listen(std::string_view address) = 0;
  virtual Result<std::unique_ptr<Conn>> do_connect(std::string_view address, Duration timeout) = 0;
  virtual FileSystem& do_fs() = 0;
  virtual void do_log(LogLevel level, std::string_view message) = 0;

  std::string name_;
  Random random_;
  std::unique_ptr<Scheduler> sched_;
};

template <class T>
Instant Channel<T>::now() const {
  return receivers_.runtime().now();
}

// Splits "host:port". Errc::invalid_argument unless host is a dotted IPv4
// quad and port is in [0, 65535].
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> parse_address(std::string_view address);

}  // namespace rmq::rt
