// Behaviour specific to the production runtime (runtime/real/): both file
// paths (io_uring and the pread/pwrite fallback), sendfile, per-operation
// timeouts and cancellation on sockets, shutdown, logging. What both backends
// share is checked by conformance_test.cc.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/real/real_runtime.h"
#include "tests/runtime/backend.h"
#include "tests/util/bytes.h"

namespace rmq::test {
namespace {

using namespace std::chrono_literals;
using rt::Errc;

// Runs `body` as the main task of a RealRuntime made from `opts`.
void run_real(real::Options opts, const std::function<void(real::RealRuntime&)>& body) {
  real::RealRuntime rt(std::move(opts));
  rt.run([&] { body(rt); });
}

// Listens on an ephemeral loopback port and accepts one connection in a task
// that runs `server` on it.
struct OneServer {
  std::unique_ptr<rt::Listener> listener;
  rt::Task task;
};
OneServer serve_one(rt::Runtime& rt, std::function<void(rt::Conn&)> server) {
  OneServer s;
  auto l = rt.listen("127.0.0.1:0");
  RMQ_ASSERT(l.ok());
  s.listener = std::move(*l);
  rt::Listener* listener = s.listener.get();
  s.task = rt.spawn("server", [listener, server = std::move(server)] {
    auto c = listener->accept(10s);
    ASSERT_TRUE(c.ok()) << c.error().message();
    server(**c);
  });
  return s;
}

class RealRuntimeTest : public ::testing::Test {
 protected:
  std::string scratch() { return backend_->scratch_dir(); }
  std::unique_ptr<Backend> backend_ = make_real_backend();
};

// ---------------------------------------------------------------------------
// Files

// Writes, syncs and reads back through whichever DiskIo the runtime uses.
void check_files_round_trip(rt::Runtime& rt, const std::string& dir) {
  auto f = rt.fs().open(dir + "/f", rt::OpenMode::create_new);
  ASSERT_TRUE(f.ok()) << f.error().message();
  rt::File& file = **f;
  ASSERT_TRUE(file.write_at(0, bytes_of("hello world")).ok());
  std::vector<std::byte> small(32);
  auto n = file.read_at(0, small);
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(string_of(rt::ConstBytes(small.data(), *n)), "hello world");  // short read at EOF
  EXPECT_EQ(*file.read_at(6, small), 5u);
  EXPECT_EQ(*file.read_at(11, small), 0u);
  EXPECT_EQ(*file.read_at(1000, small), 0u);

  // One MiB at an unaligned offset, then read back with room to spare.
  const auto big = pattern(1 << 20, 3);
  ASSERT_TRUE(file.write_at(7, big).ok());
  ASSERT_TRUE(file.sync().ok());
  EXPECT_EQ(*file.size(), 7u + big.size());
  std::vector<std::byte> back(big.size() + 100);
  auto got = file.read_at(7, back);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(*got, big.size());
  EXPECT_TRUE(std::equal(big.begin(), big.end(), back.begin()));

  // More concurrent operations than the io_uring ring has entries.
  constexpr int kWriters = 300;
  constexpr size_t kBlock = 4096;
  std::vector<rt::Task> writers;
  for (int i = 0; i < kWriters; ++i)
    writers.push_back(rt.spawn("writer", [&file, i] {
      const auto block = pattern(kBlock, static_cast<uint32_t>(100 + i));
      ASSERT_TRUE(file.write_at(uint64_t{kBlock} * static_cast<uint64_t>(i), block).ok());
    }));
  for (auto& w : writers) ASSERT_TRUE(w.join(30s).ok());
  ASSERT_TRUE(file.sync().ok());
  std::vector<std::byte> all(kBlock * kWriters);
  ASSERT_EQ(*file.read_at(0, all), all.size());
  for (int i = 0; i < kWriters; ++i) {
    const auto block = pattern(kBlock, static_cast<uint32_t>(100 + i));
    ASSERT_TRUE(std::equal(block.begin(), block.end(), all.begin() + static_cast<ptrdiff_t>(kBlock) * i))
        << "block " << i;
  }
  ASSERT_TRUE(file.truncate(10).ok());
  EXPECT_EQ(*file.size(), 10u);
}

TEST_F(RealRuntimeTest, IoUringIsAvailableOnThisMachine) {
  real::RealRuntime rt;
  if (!rt.using_io_uring()) GTEST_SKIP() << "the kernel refuses io_uring here (sandbox?); files use pread/pwrite";
  EXPECT_TRUE(rt.using_io_uring());
}

TEST_F(RealRuntimeTest, FilesReadBackWhatWasWritten) {
  const std::string dir = scratch();
  run_real({}, [&](real::RealRuntime& rt) { check_files_round_trip(rt, dir); });
}

TEST_F(RealRuntimeTest, PreadFallbackReadsBackWhatWasWritten) {
  const std::string dir = scratch();
  run_real({.disable_io_uring = true}, [&](real::RealRuntime& rt) {
    EXPECT_FALSE(rt.using_io_uring());
    check_files_round_trip(rt, dir);
  });
}

TEST_F(RealRuntimeTest, RingWritesReadBackWhatWasWritten) {
  const std::string dir = scratch();
  run_real({.ring_writes = true}, [&](real::RealRuntime& rt) { check_files_round_trip(rt, dir); });
}

// A read the page cache cannot serve (preadv2 with RWF_NOWAIT refuses it)
// goes through the ring and returns the bytes on disk.
TEST_F(RealRuntimeTest, ReadsMissingThePageCacheComeThroughTheRing) {
  const std::string dir = scratch();
  const auto content = pattern(4 << 20, 9);
  run_real({}, [&](real::RealRuntime& rt) {
    auto f = rt.fs().open(dir + "/cold", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->write_at(0, content).ok());
    ASSERT_TRUE((*f)->sync().ok());
  });
  const int fd = ::open((dir + "/cold").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);  // clean pages leave the cache
  ::close(fd);
  run_real({}, [&](real::RealRuntime& rt) {
    auto f = rt.fs().open(dir + "/cold", rt::OpenMode::existing);
    ASSERT_TRUE(f.ok());
    std::vector<std::byte> got(content.size());
    size_t done = 0;
    while (done < got.size()) {
      auto n = (*f)->read_at(done, std::span(got).subspan(done));
      ASSERT_TRUE(n.ok()) << n.error().message();
      ASSERT_GT(*n, 0u);
      done += *n;
    }
    EXPECT_TRUE(got == content);
  });
}

TEST_F(RealRuntimeTest, FileErrorsNameTheCallPathAndCause) {
  const std::string dir = scratch();
  run_real({}, [&](real::RealRuntime& rt) {
    auto f = rt.fs().open(dir + "/missing", rt::OpenMode::existing);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.code(), Errc::not_found);
    EXPECT_EQ(f.error().detail(), "open " + dir + "/missing: No such file or directory");
  });
}

// ---------------------------------------------------------------------------
// send_file

TEST_F(RealRuntimeTest, SendFileRangeArrivesByteIdentical) {
  const std::string dir = scratch();
  run_real({}, [&](real::RealRuntime& rt) {
    const auto content = pattern(3 << 20, 5);
    auto f = rt.fs().open(dir + "/data", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->write_at(0, content).ok());
    constexpr uint64_t kOffset = 12345;
    std::vector<std::byte> got((2 << 20) + 77);
    // The server starts reading late, so the socket buffers fill and
    // sendfile(2) has to wait for writability.
    auto server = serve_one(rt, [&](rt::Conn& c) {
      rt.sleep_for(100ms);
      ASSERT_TRUE(c.read_exact(got, 10s).ok());
    });
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    auto sent = (*c)->send_file(**f, kOffset, got.size(), 10s);
    ASSERT_TRUE(sent.ok()) << sent.error().message();
    ASSERT_TRUE(server.task.join(10s).ok());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), content.begin() + kOffset));
  });
}

TEST_F(RealRuntimeTest, SendFileBeyondEndIsInvalidArgumentAndSendsNothing) {
  const std::string dir = scratch();
  run_real({}, [&](real::RealRuntime& rt) {
    auto f = rt.fs().open(dir + "/data", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->write_at(0, pattern(1000, 1)).ok());
    std::optional<size_t> server_read;
    auto server = serve_one(rt, [&](rt::Conn& c) {
      std::vector<std::byte> buf(16);
      auto n = c.read_some(buf, 5s);
      ASSERT_TRUE(n.ok()) << n.error().message();
      server_read = *n;
    });
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->send_file(**f, 900, 101, 1s).code(), Errc::invalid_argument);
    EXPECT_EQ((*c)->send_file(**f, 1001, 0, 1s).code(), Errc::invalid_argument);
    EXPECT_TRUE((*c)->send_file(**f, 1000, 0, 1s).ok());
    (*c)->close();
    ASSERT_TRUE(server.task.join(5s).ok());
    EXPECT_EQ(server_read, 0u);  // end of stream, nothing before it
  });
}

// A File from no FileSystem of ours: send_file must copy it.
class MemoryFile final : public rt::File {
 public:
  explicit MemoryFile(std::vector<std::byte> data) : rt::File("memory"), data_(std::move(data)) {}

 private:
  rt::Result<size_t> do_read_at(uint64_t offset, rt::MutableBytes buf) override {
    if (offset >= data_.size()) return size_t{0};
    const size_t n = std::min<size_t>(buf.size(), data_.size() - offset);
    std::memcpy(buf.data(), data_.data() + offset, n);
    return n;
  }
  rt::Result<void> do_write_at(uint64_t, rt::ConstBytes) override { return Errc::io_error; }
  rt::Result<void> do_sync() override { return {}; }
  rt::Result<void> do_truncate(uint64_t) override { return Errc::io_error; }
  rt::Result<uint64_t> do_size() override { return uint64_t{data_.size()}; }
  std::vector<std::byte> data_;
};

TEST_F(RealRuntimeTest, SendFileOfAnotherFileKindCopiesTheRange) {
  run_real({}, [&](real::RealRuntime& rt) {
    const auto content = pattern(300 * 1024, 8);
    MemoryFile file(content);
    std::vector<std::byte> got(200 * 1024 + 3);
    auto server = serve_one(rt, [&](rt::Conn& c) { ASSERT_TRUE(c.read_exact(got, 10s).ok()); });
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->send_file(file, 999, got.size(), 10s).ok());
    ASSERT_TRUE(server.task.join(10s).ok());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), content.begin() + 999));
    EXPECT_EQ((*c)->send_file(file, content.size(), 1, 1s).code(), Errc::invalid_argument);
  });
}

// ---------------------------------------------------------------------------
// Socket timeouts and cancellation

TEST_F(RealRuntimeTest, ReadTimeoutLeavesConnectionUsable) {
  run_real({}, [&](real::RealRuntime& rt) {
    rt::Event go(rt);
    auto server = serve_one(rt, [&](rt::Conn& c) {
      ASSERT_TRUE(go.wait(5s).ok());
      ASSERT_TRUE(c.write_all(bytes_of("ping")).ok());
      std::vector<std::byte> buf(4);
      ASSERT_TRUE(c.read_exact(buf, 5s).ok());
      EXPECT_EQ(string_of(buf), "pong");
    });
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    std::vector<std::byte> buf(4);
    const rt::Instant t0 = rt.now();
    auto r = (*c)->read_some(buf, 50ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::timeout);
    EXPECT_GE(rt.now() - t0, 50ms);
    go.set();
    ASSERT_TRUE((*c)->read_exact(buf, 5s).ok());
    EXPECT_EQ(string_of(buf), "ping");
    ASSERT_TRUE((*c)->write_all(bytes_of("pong"), 5s).ok());
    ASSERT_TRUE(server.task.join(5s).ok());
  });
}

TEST_F(RealRuntimeTest, ReadTimeoutDoesNotDisturbConcurrentWrite) {
  run_real({}, [&](real::RealRuntime& rt) {
    const auto data = pattern(16 << 20, 11);
    std::vector<std::byte> got(data.size());
    // The server reads late, so the write is in flight while reads time out.
    auto server = serve_one(rt, [&](rt::Conn& c) {
      rt.sleep_for(200ms);
      ASSERT_TRUE(c.read_exact(got, 20s).ok());
    });
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    rt::Conn& conn = **c;
    auto writer = rt.spawn("writer", [&] {
      auto w = conn.write_all(data, 20s);
      ASSERT_TRUE(w.ok()) << w.error().message();
    });
    std::vector<std::byte> buf(8);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(conn.read_some(buf, 20ms).code(), Errc::timeout);
    ASSERT_TRUE(writer.join(20s).ok());
    ASSERT_TRUE(server.task.join(20s).ok());
    EXPECT_TRUE(got == data);
  });
}

TEST_F(RealRuntimeTest, WriteToStalledPeerTimesOut) {
  run_real({}, [&](real::RealRuntime& rt) {
    rt::Event done(rt);
    auto server = serve_one(rt, [&](rt::Conn&) { (void)done.wait(10s); });  // never reads
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    const auto data = pattern(64 << 20, 2);
    auto w = (*c)->write_all(data, 100ms);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.code(), Errc::timeout);
    (*c)->abort();
    done.set();
    ASSERT_TRUE(server.task.join(5s).ok());
  });
}

TEST_F(RealRuntimeTest, CancelledReaderUnwindsAndConnectionClosesCleanly) {
  run_real({}, [&](real::RealRuntime& rt) {
    std::optional<size_t> server_read;
    rt::Event closed(rt);
    auto server = serve_one(rt, [&](rt::Conn& c) {
      ASSERT_TRUE(closed.wait(5s).ok());
      std::vector<std::byte> buf(8);
      auto n = c.read_some(buf, 5s);
      ASSERT_TRUE(n.ok()) << n.error().message();
      server_read = *n;
    });
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    bool destructor_ran = false;
    bool returned = false;
    struct Guard {
      bool& flag;
      ~Guard() { flag = true; }
    };
    auto reader = rt.spawn("reader", [&] {
      Guard g{destructor_ran};
      std::vector<std::byte> buf(8);
      (void)(*c)->read_some(buf);
      returned = true;
    });
    rt.sleep_for(10ms);
    reader.cancel();
    ASSERT_TRUE(reader.join(5s).ok());
    EXPECT_TRUE(destructor_ran);
    EXPECT_FALSE(returned);
    (*c)->close();
    closed.set();
    ASSERT_TRUE(server.task.join(5s).ok());
    EXPECT_EQ(server_read, 0u);
  });
}

// ---------------------------------------------------------------------------
// Shutdown

TEST_F(RealRuntimeTest, RequestStopFromAnotherThreadEndsRun) {
  real::RealRuntime rt;
  std::unique_ptr<rt::Listener> listener;  // outlives the tasks that use it
  std::atomic<bool> main_unwound{false};
  bool background_unwound = false;
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    rt.request_stop();
  });
  const auto t0 = std::chrono::steady_clock::now();
  rt.run([&] {
    struct Mark {
      std::atomic<bool>& flag;
      ~Mark() { flag = true; }
    } m{main_unwound};
    auto l = rt.listen("127.0.0.1:0");
    ASSERT_TRUE(l.ok());
    listener = std::move(*l);
    rt.spawn("acceptor", [&] {
      struct Flag {
        bool& f;
        ~Flag() { f = true; }
      } g{background_unwound};
      (void)listener->accept();
    });
    rt.sleep_for(1h);
  });
  stopper.join();
  EXPECT_TRUE(main_unwound);
  EXPECT_TRUE(background_unwound);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(RealRuntimeTest, RequestStopBeforeRunStopsMainOnceRunning) {
  real::RealRuntime rt;
  rt.request_stop();
  const auto t0 = std::chrono::steady_clock::now();
  rt.run([&] { rt.sleep_for(1h); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(RealRuntimeTest, SigtermStopsRunAfterStopOnSignals) {
  real::RealRuntime rt({.min_log_level = rt::LogLevel::error});
  rt.stop_on_signals();
  bool slept_through = false;
  rt.run([&] {
    ASSERT_EQ(::raise(SIGTERM), 0);  // caught by the runtime, not fatal
    rt.sleep_for(1h);
    slept_through = true;
  });
  EXPECT_FALSE(slept_through);
}

TEST_F(RealRuntimeTest, IoDuringShutdownFailsWithCancelledAndHasNoEffect) {
  const std::string dir = scratch();
  std::vector<Errc> codes;
  run_real({}, [&](real::RealRuntime& rt) {
    auto f = rt.fs().open(dir + "/f", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    std::shared_ptr<rt::File> file = std::move(*f);
    rt.spawn("late", [&rt, &codes, file, dir] {
      struct OnUnwind {
        rt::Runtime& rt;
        std::vector<Errc>& codes;
        rt::File& file;
        std::string dir;
        ~OnUnwind() {
          codes.push_back(file.write_at(0, bytes_of("x")).code());
          codes.push_back(rt.fs().create_dirs(dir + "/d").code());
          codes.push_back(rt.listen("127.0.0.1:0").code());
          codes.push_back(rt.connect("127.0.0.1:1", 1s).code());
        }
      } on_unwind{rt, codes, *file, dir};
      rt.sleep_for(1h);
    });
    rt.sleep_for(1ms);  // "late" is now asleep; returning stops it
  });
  EXPECT_EQ(codes, std::vector<Errc>(4, Errc::cancelled));
  EXPECT_EQ(std::filesystem::file_size(dir + "/f"), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/d"));
}

// A task that is already unwinding when shutdown starts is not woken by the
// scheduler's stop_all(); shutdown must still end its untimed read.
TEST_F(RealRuntimeTest, ShutdownAbortsUntimedReadOfUnwindingTask) {
  std::optional<Errc> read_result;
  run_real({}, [&](real::RealRuntime& rt) {
    rt::Event accepted(rt);
    auto server = serve_one(rt, [&](rt::Conn&) {
      accepted.set();
      rt.sleep_for(1h);  // holds the connection open until shutdown
    });
    auto c = rt.connect(server.listener->address(), 5s);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(accepted.wait(5s).ok());
    std::shared_ptr<rt::Conn> conn = std::move(*c);
    auto t = rt.spawn("drainer", [&read_result, conn, &rt] {
      struct DrainOnUnwind {
        rt::Conn& conn;
        std::optional<Errc>& result;
        ~DrainOnUnwind() {
          std::vector<std::byte> buf(8);
          auto n = conn.read_some(buf);  // no timeout: only shutdown ends it
          result = n.ok() ? Errc::io_error : n.code();
        }
      } d{*conn, read_result};
      rt.sleep_for(1h);
    });
    rt.sleep_for(1ms);
    t.cancel();       // starts unwinding, then blocks in the destructor's read
    rt.sleep_for(10ms);
    EXPECT_FALSE(read_result.has_value());
  });
  EXPECT_EQ(read_result, Errc::cancelled);
}

// ---------------------------------------------------------------------------
// Logging

TEST_F(RealRuntimeTest, LogLinesAreUtcTimestampedAndFiltered) {
  ::testing::internal::CaptureStderr();
  {
    real::RealRuntime rt({.name = "n1", .min_log_level = rt::LogLevel::info, .disable_io_uring = true});
    rt.log(rt::LogLevel::debug, "hidden");
    rt.log(rt::LogLevel::info, "hello");
    rt.log(rt::LogLevel::error, "bad thing");
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  const std::string ts = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )";
  EXPECT_TRUE(std::regex_search(out, std::regex("(^|\n)" + ts + R"(WARN  \[n1\] io_uring unavailable \(disabled by options\); using pread/pwrite\n)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("(^|\n)" + ts + R"(INFO  \[n1\] hello\n)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("(^|\n)" + ts + R"(ERROR \[n1\] bad thing\n)"))) << out;
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
}

}  // namespace
}  // namespace rmq::test
