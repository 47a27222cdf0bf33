// rmq-sim: runs simulator scenarios by seed.
//
//   rmq-sim list
//   rmq-sim run --scenario ping --seed 7 [--verbose] [--trace] [--no-faults]
//   rmq-sim run --scenario ping --seeds 1..500
//
// A single run prints its trace hash; the same seed prints the same hash on
// every run. A failing seed prints what failed and the command replaying it.
// Exit status: 0 all passed, 1 a scenario failed, 2 bad usage.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace {

using rmq::scenarios::RunOptions;
using rmq::scenarios::RunResult;
using rmq::scenarios::Scenario;

int usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "rmq-sim: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: rmq-sim list\n"
               "       rmq-sim run --scenario NAME (--seed N | --seeds A..B [--twice]) [--verbose] [--trace] [--no-faults]\n"
               "       rmq-sim explore --seeds A..B [--scenario NAME] [--twice]   (every scenario: a summary table)\n"
               "  --twice  runs every seed of the range twice; a different trace hash is a failure\n");
  return 2;
}

bool parse_u64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19) return false;
  out = std::strtoull(s.c_str(), nullptr, 10);
  return true;
}

std::string replay_command(const Scenario& s, uint64_t seed, const RunOptions& o) {
  return fmt::format("rmq-sim run --scenario {} --seed {}{} --verbose", s.name, seed, o.faults ? "" : " --no-faults");
}

void print_failure(const Scenario& s, uint64_t seed, const RunResult& r, const RunOptions& o) {
  std::printf("FAIL scenario=%s seed=%llu hash=%016llx\n", s.name.c_str(), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(r.trace_hash));
  for (const auto& f : r.failures) std::printf("  failure: %s\n", f.c_str());
  if (!r.recent_logs.empty()) {
    std::printf("  last log lines:\n");
    const size_t from = r.recent_logs.size() > 20 ? r.recent_logs.size() - 20 : 0;
    for (size_t i = from; i < r.recent_logs.size(); ++i) std::printf("    %s\n", r.recent_logs[i].c_str());
  }
  std::printf("  replay: %s\n", replay_command(s, seed, o).c_str());
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "none" : out;
}

int run_one(const Scenario& s, uint64_t seed, const RunOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  RunResult r = s.run(seed, o);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double sim_s = std::chrono::duration<double>(r.simulated).count();
  std::printf("scenario=%s seed=%llu hash=%016llx events=%llu simulated=%.1fs wall=%.2fs faults=%s\n", s.name.c_str(),
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(r.trace_hash),
              static_cast<unsigned long long>(r.events), sim_s, wall_s, join(r.faults).c_str());
  for (const auto& n : r.notes) std::printf("  %s\n", n.c_str());
  if (!r.ok()) {
    print_failure(s, seed, r, o);
    return 1;
  }
  std::printf("result: ok\n");
  return 0;
}

struct RangeStats {
  uint64_t seeds = 0;
  std::vector<std::pair<uint64_t, RunResult>> failed;
  double simulated_s = 0;
  double wall_s = 0;
  int64_t duplicates = 0;
};

// Runs seeds first..last (each twice with `twice`, comparing trace hashes),
// drawing a progress line on stderr.
RangeStats run_seeds(const Scenario& s, uint64_t first, uint64_t last, const RunOptions& o, bool twice) {
  RangeStats st;
  st.seeds = last - first + 1;
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int kBar = 30;
  for (uint64_t seed = first;; ++seed) {
    RunResult r = s.run(seed, o);
    st.simulated_s += std::chrono::duration<double>(r.simulated).count();
    if (twice) {
      // Determinism: the same seed must replay to the same trace hash.
      const RunResult again = s.run(seed, o);
      st.simulated_s += std::chrono::duration<double>(again.simulated).count();
      if (again.trace_hash != r.trace_hash)
        r.failures.push_back(fmt::format("nondeterministic: the second run's trace hash is {:016x}", again.trace_hash));
    }
    st.duplicates += r.duplicates;
    if (!r.ok()) st.failed.emplace_back(seed, std::move(r));
    const uint64_t done = seed - first + 1;
    const int filled = static_cast<int>(done * kBar / st.seeds);
    std::fprintf(stderr, "\r%-24s [%s%s] %llu/%llu failures=%zu", s.name.c_str(), std::string(filled, '#').c_str(),
                 std::string(kBar - filled, '.').c_str(), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(st.seeds), st.failed.size());
    if (seed == last) break;
  }
  std::fprintf(stderr, "\n");
  st.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

int run_range(const Scenario& s, uint64_t first, uint64_t last, const RunOptions& o, bool twice) {
  const RangeStats st = run_seeds(s, first, last, o, twice);
  for (const auto& [seed, r] : st.failed) print_failure(s, seed, r, o);
  std::printf("scenario=%s seeds=%llu..%llu runs=%llu failures=%zu simulated=%.0fs wall=%.1fs speedup=%.0fx\n",
              s.name.c_str(), static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
              static_cast<unsigned long long>(st.seeds), st.failed.size(), st.simulated_s, st.wall_s,
              st.wall_s > 0 ? st.simulated_s / st.wall_s : 0);
  std::printf("%llu passed, %zu failed\n", static_cast<unsigned long long>(st.seeds - st.failed.size()), st.failed.size());
  return st.failed.empty() ? 0 : 1;
}

// Swarm mode: every scenario (or one) over the seed range; each seed picks
// its own fault families and rates. A table, then every failure's replay.
int explore(const std::vector<const Scenario*>& scenarios, uint64_t first, uint64_t last, const RunOptions& o,
            bool twice) {
  std::vector<std::pair<const Scenario*, RangeStats>> all;
  for (const Scenario* s : scenarios) all.emplace_back(s, run_seeds(*s, first, last, o, twice));
  std::printf("%-24s %7s %9s %11s %12s %9s %10s\n", "scenario", "seeds", "failures", "duplicates", "simulated_s",
              "wall_s", "sim/wall");
  uint64_t passed = 0, failed = 0;
  for (const auto& [s, st] : all) {
    std::printf("%-24s %7llu %9zu %11lld %12.0f %9.1f %9.0fx\n", s->name.c_str(),
                static_cast<unsigned long long>(st.seeds), st.failed.size(), static_cast<long long>(st.duplicates),
                st.simulated_s, st.wall_s, st.wall_s > 0 ? st.simulated_s / st.wall_s : 0);
    passed += st.seeds - st.failed.size();
    failed += st.failed.size();
  }
  for (const auto& [s, st] : all)
    for (const auto& [seed, r] : st.failed) print_failure(*s, seed, r, o);
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(passed),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage("");
  if (args[0] == "list") {
    for (const auto& s : rmq::scenarios::all_scenarios()) std::printf("%-12s %s\n", s.name.c_str(), s.goal.c_str());
    return 0;
  }
  const bool exploring = args[0] == "explore";
  if (args[0] != "run" && !exploring) return usage("unknown command '" + args[0] + "'");
  std::string name;
  std::string seed_arg, seeds_arg;
  RunOptions o;
  bool twice = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    if (a == "--scenario") {
      if (!value(name)) return usage("--scenario needs a name");
    } else if (a == "--seed") {
      if (!value(seed_arg)) return usage("--seed needs a number");
    } else if (a == "--seeds") {
      if (!value(seeds_arg)) return usage("--seeds needs a range A..B");
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--trace") {
      o.trace = true;
    } else if (a == "--no-faults") {
      o.faults = false;
    } else if (a == "--twice") {
      twice = true;
    } else {
      return usage("unknown option '" + a + "'");
    }
  }
  const Scenario* s = rmq::scenarios::find_scenario(name);
  if (exploring) {
    if (!name.empty() && s == nullptr) return usage("unknown scenario '" + name + "'");
    if (seeds_arg.empty() || !seed_arg.empty()) return usage("explore takes --seeds A..B");
  } else if (s == nullptr) {
    return usage(name.empty() ? "--scenario is required" : "unknown scenario '" + name + "'");
  }
  if (seed_arg.empty() == seeds_arg.empty()) return usage("give exactly one of --seed or --seeds");
  if (!seed_arg.empty()) {
    uint64_t seed = 0;
    if (!parse_u64(seed_arg, seed)) return usage("bad seed '" + seed_arg + "'");
    if (twice) return usage("--twice goes with --seeds");
    return run_one(*s, seed, o);
  }
  const auto dots = seeds_arg.find("..");
  uint64_t first = 0, last = 0;
  if (dots == std::string::npos || !parse_u64(seeds_arg.substr(0, dots), first) ||
      !parse_u64(seeds_arg.substr(dots + 2), last) || first > last)
    return usage("bad seed range '" + seeds_arg + "' (want A..B with A <= B)");
  if (exploring) {
    std::vector<const Scenario*> list;
    if (s != nullptr) {
      list.push_back(s);
    } else {
      for (const auto& sc : rmq::scenarios::all_scenarios()) list.push_back(&sc);
    }
    return explore(list, first, last, o, twice);
  }
  return run_range(*s, first, last, o, twice);
}
