// Simulator throughput: the "ping" scenario (3-5 nodes, TCP pings, journals,
// faults) in events per wall second and simulated seconds per wall second.
#include <benchmark/benchmark.h>

#include <chrono>

#include "scenarios/scenario.h"

namespace {

void BM_SimPingScenario(benchmark::State& state) {
  uint64_t seed = 1;
  double events = 0;
  double simulated_s = 0;
  for (auto _ : state) {
    auto r = rmq::scenarios::run_ping(seed++, {});
    if (!r.ok()) state.SkipWithError("scenario failed");
    events += static_cast<double>(r.events);
    simulated_s += std::chrono::duration<double>(r.simulated).count();
  }
  state.counters["events"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["sim_s_per_wall_s"] = benchmark::Counter(simulated_s, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimPingScenario)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
