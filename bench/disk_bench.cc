// Sequential write throughput of the real runtime's files, through io_uring
// and through the pread/pwrite fallback, beside a raw pwrite loop (the
// baseline) and a mapped file written by memcpy (RocketMQ's append path: a
// preallocated segment mapped shared). Arguments: chunk size in KiB, 1 =
// fdatasync (msync for the mapping) at the end.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/real/real_runtime.h"

namespace {

using namespace rmq;
constexpr uint64_t kFileBytes = 64ull << 20;

std::string bench_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/rmq_disk_bench_" + std::to_string(::getpid());
}

void runtime_write(benchmark::State& state, bool io_uring) {
  const size_t chunk = static_cast<size_t>(state.range(0)) << 10;
  const bool sync = state.range(1) != 0;
  const std::string path = bench_path();
  std::vector<std::byte> buf(chunk, std::byte{0x5a});
  bool using_uring = false;
  for (auto _ : state) {
    real::RealRuntime rt({.name = "bench", .seed = 1, .min_log_level = rt::LogLevel::error, .disable_io_uring = !io_uring});
    using_uring = rt.using_io_uring();
    rt.run([&] {
      auto f = rt.fs().open(path, rt::OpenMode::create);
      if (!f || !(*f)->truncate(0)) return state.SkipWithError("open failed");
      for (uint64_t off = 0; off < kFileBytes; off += chunk)
        if (!(*f)->write_at(off, buf)) return state.SkipWithError("write failed");
      if (sync && !(*f)->sync()) state.SkipWithError("sync failed");
    });
  }
  ::unlink(path.c_str());
  if (io_uring && !using_uring) state.SetLabel("io_uring unavailable: measured the fallback");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileBytes));
}

void BM_Write_IoUring(benchmark::State& state) { runtime_write(state, true); }
void BM_Write_PreadPwriteFallback(benchmark::State& state) { runtime_write(state, false); }

void BM_Write_RawPwriteBaseline(benchmark::State& state) {
  const size_t chunk = static_cast<size_t>(state.range(0)) << 10;
  const bool sync = state.range(1) != 0;
  const std::string path = bench_path();
  std::vector<char> buf(chunk, 0x5a);
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    for (uint64_t off = 0; off < kFileBytes; off += chunk)
      if (::pwrite(fd, buf.data(), chunk, static_cast<off_t>(off)) != static_cast<ssize_t>(chunk))
        state.SkipWithError("pwrite failed");
    if (sync) ::fdatasync(fd);
    ::close(fd);
  }
  ::unlink(path.c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileBytes));
}

void BM_Write_MappedFile(benchmark::State& state) {
  const size_t chunk = static_cast<size_t>(state.range(0)) << 10;
  const bool sync = state.range(1) != 0;
  const std::string path = bench_path();
  std::vector<char> buf(chunk, 0x5a);
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(kFileBytes)) != 0) return state.SkipWithError("open failed");
    void* map = ::mmap(nullptr, kFileBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return state.SkipWithError("mmap failed");
    auto* p = static_cast<char*>(map);
    for (uint64_t off = 0; off < kFileBytes; off += chunk) std::memcpy(p + off, buf.data(), chunk);
    if (sync) ::msync(map, kFileBytes, MS_SYNC);
    ::munmap(map, kFileBytes);
    ::close(fd);
  }
  ::unlink(path.c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileBytes));
}

#define RMQ_WRITE_ARGS \
  ->Args({4, 0})->Args({64, 0})->Args({1024, 0})->Args({1024, 1})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_Write_IoUring) RMQ_WRITE_ARGS;
BENCHMARK(BM_Write_PreadPwriteFallback) RMQ_WRITE_ARGS;
BENCHMARK(BM_Write_RawPwriteBaseline) RMQ_WRITE_ARGS;
BENCHMARK(BM_Write_MappedFile) RMQ_WRITE_ARGS;

}  // namespace
