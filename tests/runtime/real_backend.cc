// The production runtime as a test backend: a fresh RealRuntime per run(),
// scratch directories under a private temporary tree. No test cases here:
// several test binaries link this file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

#include "runtime/real/real_runtime.h"
#include "tests/runtime/backend.h"

namespace rmq::test {
namespace {

using namespace std::chrono_literals;

// A body that has not returned by then fails its test and is cancelled.
constexpr auto kBodyTimeout = 60s;
// After that cancellation, how long the body gets to unwind before the whole
// test binary aborts (a body that ignores cancellation would hang ctest).
constexpr auto kUnwindTimeout = 30s;

class RealBackend final : public Backend {
 public:
  ~RealBackend() override {
    if (root_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string name() const override { return "real"; }

  void run(std::function<void(rt::Runtime&)> body) override {
    real::RealRuntime rt(real::Options{.name = "test", .seed = 42});
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    bool timed_out = false;
    std::thread watchdog([&] {
      std::unique_lock lock(m);
      if (cv.wait_for(lock, kBodyTimeout, [&] { return finished; })) return;
      timed_out = true;
      rt.request_stop();
      if (cv.wait_for(lock, kUnwindTimeout, [&] { return finished; })) return;
      std::fprintf(stderr, "real test body ignored cancellation for %lld s; aborting\n",
                   static_cast<long long>(kUnwindTimeout.count()));
      std::abort();
    });
    rt.run([&] { body(rt); });
    {
      std::lock_guard lock(m);
      finished = true;
    }
    cv.notify_all();
    watchdog.join();
    if (timed_out)
      ADD_FAILURE() << "real test body did not finish within " << kBodyTimeout.count() << " s";
  }

  std::string scratch_dir() override {
    if (root_.empty()) root_ = make_temp_dir(temp_base(), "rmq-real-test-");
    return make_temp_dir(root_, "scratch-");
  }

 private:
  static std::string temp_base() {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
    return std::filesystem::absolute(base).string();
  }

  // mkdtemp under `parent`; aborts the test binary if it cannot.
  static std::string make_temp_dir(const std::string& parent, const char* prefix) {
    std::string tmpl = parent + "/" + prefix + "XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror(("mkdtemp " + tmpl).c_str());
      std::abort();
    }
    return tmpl;
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<Backend> make_real_backend() { return std::make_unique<RealBackend>(); }

}  // namespace rmq::test
