// The production backend of rt::Runtime: one node on one OS thread.
//
//   - tasks: the shared fiber scheduler (runtime/scheduler.h);
//   - clock: now() is std::chrono::steady_clock, wall_ms() system_clock;
//   - network: Asio TCP sockets (TCP_NODELAY; send_file is sendfile(2));
//   - files: io_uring, one ring per runtime, or pread/pwrite/fdatasync on
//     the node's thread when the kernel refuses io_uring (one warning line)
//     or Options::disable_io_uring says so;
//   - logging: one line per call on stderr,
//       2026-11-25T10:00:00.123Z INFO  [name] message
//     (UTC wall clock, milliseconds), below Options::min_log_level dropped.
//
// Typical main():
//     rmq::real::RealRuntime rt({.name = "broker-a"});
//     rt.stop_on_signals();            // SIGINT/SIGTERM: graceful shutdown
//     rt.run([&] { Broker b(rt, cfg); b.serve(); });
//
// Threading: construct, run() and destroy on one thread; only
// request_stop() may be called from other threads. Everything the runtime
// hands out (Conn, Listener, File, Task) belongs to its thread and must be
// destroyed before the runtime.
//
// Process-wide effect: constructing a RealRuntime sets SIGPIPE to ignored
// if it was at its default (a peer that resets a connection during
// sendfile(2) must fail the call, not kill the process).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "runtime/runtime.h"

namespace rmq::real {

struct Options {
  std::string name = "node";
  uint64_t seed = 0;  // of Runtime::random(); 0: from std::random_device
  rt::LogLevel min_log_level = rt::LogLevel::info;
  bool disable_io_uring = false;  // force the pread/pwrite fallback (tests, benchmarks)
  // Submit file writes to the ring too. By default only reads that miss the
  // page cache and syncs go through it; writes are pwrite on the loop's
  // thread (see uring_disk_io.cc for why). For benchmarks.
  bool ring_writes = false;
};

class RealRuntime final : public rt::Runtime {
 public:
  explicit RealRuntime(Options opts = {});
  // Runs any task still alive (cancelled) to its end first.
  ~RealRuntime() override;

  // Runs the event loop on the calling thread: spawns `main` as the task
  // "main" and runs until it returns; then cancels every other task, enters
  // stopping mode (all I/O fails with Errc::cancelled) and runs until every
  // task has finished. Returns then. Call at most once.
  void run(std::function<void()> main);

  // Cancels the main task, so that run() winds down. Thread-safe (but not
  // concurrently with the destructor), and safe to call before run() (it
  // takes effect once run() starts) or after it.
  void request_stop();

  // Makes SIGINT and SIGTERM call request_stop() for as long as run() runs.
  // Call on the runtime's thread, before or inside run().
  void stop_on_signals();

  // False when files use the pread/pwrite fallback.
  bool using_io_uring() const;

 private:
  struct Impl;

  rt::Instant do_now() const override;
  int64_t do_wall_ms() const override;
  rt::Result<std::unique_ptr<rt::Listener>> do_listen(std::string_view address) override;
  rt::Result<std::unique_ptr<rt::Conn>> do_connect(std::string_view address, rt::Duration timeout) override;
  rt::FileSystem& do_fs() override;
  void do_log(rt::LogLevel level, std::string_view message) override;

  void arm_signals();
  void shut_down();

  rt::LogLevel min_log_level_;
  std::unique_ptr<Impl> impl_;
  rt::Task main_;
  bool ran_ = false;
};

}  // namespace rmq::real
