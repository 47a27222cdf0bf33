// Loopback echo round trip of 64-byte messages: the real runtime (fibers on
// Asio) beside plain blocking sockets between two threads (the baseline).
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <thread>

#include "runtime/real/real_runtime.h"

namespace {

using namespace rmq;
using namespace std::chrono_literals;
constexpr size_t kMessageBytes = 64;
constexpr int kRoundTrips = 2000;

void BM_EchoRoundTrip_Runtime(benchmark::State& state) {
  for (auto _ : state) {
    real::RealRuntime rt({.name = "bench", .seed = 1});
    rt.run([&] {
      auto l = rt.listen("127.0.0.1:0");
      if (!l) return state.SkipWithError("listen failed");
      auto server = rt.spawn("echo", [&] {
        auto c = (*l)->accept(5s);
        if (!c) return;
        std::array<std::byte, kMessageBytes> buf;
        while ((*c)->read_exact(buf, 5s).ok() && (*c)->write_all(buf, 5s).ok()) {
        }
      });
      auto c = rt.connect((*l)->address(), 5s);
      if (!c) return state.SkipWithError("connect failed");
      std::array<std::byte, kMessageBytes> buf{};
      for (int i = 0; i < kRoundTrips; ++i) {
        if (!(*c)->write_all(buf, 5s).ok() || !(*c)->read_exact(buf, 5s).ok())
          return state.SkipWithError("echo failed");
      }
      (*c)->close();
      (void)server.join();
    });
  }
  state.counters["round_trips"] = benchmark::Counter(kRoundTrips, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EchoRoundTrip_Runtime)->Unit(benchmark::kMillisecond)->UseRealTime();

bool full(int fd, char* p, size_t n, bool is_read) {
  while (n > 0) {
    const ssize_t r = is_read ? ::read(fd, p, n) : ::write(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void BM_EchoRoundTrip_BlockingSocketsBaseline(benchmark::State& state) {
  for (auto _ : state) {
    const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(ls, 1);
    ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
    std::thread server([ls] {
      const int s = ::accept(ls, nullptr, nullptr);
      const int one = 1;
      ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::array<char, kMessageBytes> buf;
      while (full(s, buf.data(), buf.size(), true) && full(s, buf.data(), buf.size(), false)) {
      }
      ::close(s);
    });
    const int c = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) state.SkipWithError("connect failed");
    std::array<char, kMessageBytes> buf{};
    for (int i = 0; i < kRoundTrips; ++i)
      if (!full(c, buf.data(), buf.size(), false) || !full(c, buf.data(), buf.size(), true)) break;
    ::close(c);
    server.join();
    ::close(ls);
  }
  state.counters["round_trips"] = benchmark::Counter(kRoundTrips, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EchoRoundTrip_BlockingSocketsBaseline)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
