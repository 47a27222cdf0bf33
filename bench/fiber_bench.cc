// Fiber switch rate: two tasks yielding to each other, on the simulator's
// runtime and on the real runtime (same scheduler, different loops).
#include <benchmark/benchmark.h>

#include "runtime/real/real_runtime.h"
#include "sim/simulation.h"

namespace {

using namespace rmq;
constexpr int kYieldsPerTask = 100'000;

void yield_pair(rt::Runtime& rt) {
  auto body = [&rt] {
    for (int i = 0; i < kYieldsPerTask; ++i) rt.yield();
  };
  auto a = rt.spawn("a", body);
  auto b = rt.spawn("b", body);
  (void)a.join();
  (void)b.join();
}

void BM_FiberSwitch_Sim(benchmark::State& state) {
  for (auto _ : state) {
    sim::Simulation s(1);
    bool done = false;
    s.add_node("n", [&](rt::Runtime& rt) {
      yield_pair(rt);
      done = true;
    });
    s.start_all();
    s.run_until([&] { return done; }, std::chrono::hours(1));
  }
  state.counters["switches"] =
      benchmark::Counter(2.0 * kYieldsPerTask, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FiberSwitch_Sim)->Unit(benchmark::kMillisecond);

void BM_FiberSwitch_Real(benchmark::State& state) {
  for (auto _ : state) {
    real::RealRuntime rt({.name = "bench", .seed = 1});
    rt.run([&] { yield_pair(rt); });
  }
  state.counters["switches"] =
      benchmark::Counter(2.0 * kYieldsPerTask, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FiberSwitch_Real)->Unit(benchmark::kMillisecond);

}  // namespace
