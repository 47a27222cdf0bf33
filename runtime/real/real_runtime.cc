#include "runtime/real/real_runtime.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>

#include "runtime/real/disk_io.h"
#include "runtime/real/fs.h"
#include "runtime/real/loop.h"
#include "runtime/real/net.h"

namespace rmq::real {

namespace {

uint64_t pick_seed(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;  // production only: runs are not meant to replay
  return (uint64_t{rd()} << 32) ^ rd();
}

void ignore_sigpipe_if_default() {
  struct sigaction old {};
  if (::sigaction(SIGPIPE, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) return;
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  (void)::sigaction(SIGPIPE, &ignore, nullptr);
}

}  // namespace

// Members are destroyed bottom-up: the io_context (in loop) goes last, after
// everything that holds Asio objects on it.
struct RealRuntime::Impl {
  explicit Impl(rt::Runtime& rt) : loop(rt) {}

  Loop loop;
  std::unique_ptr<DiskIo> disk;
  std::unique_ptr<RealFileSystem> fs;
  std::optional<asio::signal_set> signals;
};

RealRuntime::RealRuntime(Options opts)
    : rt::Runtime(opts.name, pick_seed(opts.seed)),
      min_log_level_(opts.min_log_level),
      impl_(std::make_unique<Impl>(*this)) {
  ignore_sigpipe_if_default();
  std::string why_not = "disabled by options";
  if (!opts.disable_io_uring) impl_->disk = make_uring_disk_io(impl_->loop, opts.ring_writes, &why_not);
  if (impl_->disk == nullptr) {
    log(rt::LogLevel::warn, "io_uring unavailable (" + why_not + "); using pread/pwrite");
    impl_->disk = make_blocking_disk_io();
  }
  impl_->fs = std::make_unique<RealFileSystem>(*this, *impl_->disk);
}

RealRuntime::~RealRuntime() {
  RMQ_ASSERT_MSG(!scheduler().in_task(), "RealRuntime destroyed from one of its tasks");
  // Tasks spawned but never run (run() was not called), or spawned after
  // run(): they need the loop to unwind.
  if (scheduler().live_tasks() > 0) shut_down();
}

void RealRuntime::run(std::function<void()> main) {
  RMQ_ASSERT_MSG(!ran_, "RealRuntime::run() called twice");
  RMQ_ASSERT_MSG(!scheduler().in_task(), "RealRuntime::run() called from a task");
  ran_ = true;
  main_ = spawn("main", std::move(main));
  impl_->loop.run_until([this] { return main_.done(); });
  shut_down();
}

void RealRuntime::shut_down() {
  scheduler().stop_all();
  // A task unwinding inside an untimed socket wait is not woken by
  // stop_all(); aborting every socket operation wakes it.
  impl_->loop.cancel_all_io();
  impl_->loop.run_until([this] { return scheduler().live_tasks() == 0; });
  impl_->signals.reset();  // restores the default SIGINT/SIGTERM handling
}

void RealRuntime::request_stop() {
  // post() is the one io_context call that is safe from other threads.
  asio::post(impl_->loop.io(), [this] {
    if (main_.valid()) main_.cancel();
  });
}

void RealRuntime::stop_on_signals() {
  RMQ_ASSERT_MSG(!main_.valid() || !main_.done(), "stop_on_signals() after run()");
  if (impl_->signals) return;
  impl_->signals.emplace(impl_->loop.io(), SIGINT, SIGTERM);
  arm_signals();
}

void RealRuntime::arm_signals() {
  impl_->signals->async_wait([this](const asio::error_code& ec, int signo) {
    if (ec) return;  // the signal set is going away
    log(rt::LogLevel::warn, signo == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
    if (main_.valid()) main_.cancel();
    arm_signals();
  });
}

bool RealRuntime::using_io_uring() const { return impl_->disk->uses_io_uring(); }

rt::Instant RealRuntime::do_now() const {
  return rt::Instant(std::chrono::duration_cast<rt::Duration>(std::chrono::steady_clock::now().time_since_epoch()));
}

int64_t RealRuntime::do_wall_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

rt::Result<std::unique_ptr<rt::Listener>> RealRuntime::do_listen(std::string_view address) {
  return real::listen(impl_->loop, address);
}

rt::Result<std::unique_ptr<rt::Conn>> RealRuntime::do_connect(std::string_view address, rt::Duration timeout) {
  return real::connect(impl_->loop, address, timeout);
}

rt::FileSystem& RealRuntime::do_fs() { return *impl_->fs; }

void RealRuntime::do_log(rt::LogLevel level, std::string_view message) {
  if (level < min_log_level_) return;
  static constexpr const char* kLevels[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
  const int64_t ms = do_wall_ms();
  const auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc {};
  ::gmtime_r(&secs, &utc);
  char prefix[64];
  std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s [", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000),
                kLevels[static_cast<int>(level)]);
  std::string line(prefix);
  line += name();
  line += "] ";
  line += message;
  line += '\n';
  // One write per line, so lines of runtimes on other threads do not mix.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace rmq::real
