// rmq-sim: runs simulator scenarios by seed, with the seed's fault plan or a
// given one, and shrinks failing plans.
//
//   rmq-sim list
//   rmq-sim run --scenario ping --seed 7 [--plan FILE] [--plan-out FILE] [--verbose] [--trace] [--no-faults]
//   rmq-sim run --scenario ping --seeds 1..500 [--twice] [--plan FILE]
//   rmq-sim run --plan FILE                  (scenario and seed from the file's header)
//   rmq-sim shrink --scenario S --seed N [--plan FILE] [--out FILE] [--runs N] [--minutes M]
//   rmq-sim explore --seeds 1..50 [--scenario S] [--twice]
//
// A single run prints its trace hash and its plan; the same scenario, seed
// and plan print the same hash on every run. A failing run prints what
// failed and the command replaying it. A plan file is the text of
// scenarios/fault_plan.h with optional header comments "# scenario: S" and
// "# seed: N". Exit status: 0 all passed, 1 a scenario failed, 2 bad usage
// or a plan that does not fit the scenario.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "scenarios/canaries.h"
#include "scenarios/divergence.h"
#include "scenarios/plan_file.h"
#include "scenarios/scenario.h"
#include "scenarios/shrink.h"
#include "scenarios/timeline.h"

namespace {

using rmq::scenarios::FaultPlan;
using rmq::scenarios::RunOptions;
using rmq::scenarios::RunResult;
using rmq::scenarios::Scenario;
using rmq::scenarios::kPlanFileBytesMax;
using rmq::scenarios::parse_u64;
using rmq::scenarios::parse_workload;
using rmq::scenarios::plan_file_text;

int usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "rmq-sim: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: rmq-sim list\n"
               "       rmq-sim canaries   (canary, the scenario catching it, seeds; '*': compiled into this build)\n"
               "       rmq-sim run --scenario NAME (--seed N | --seeds A..B [--twice]) [--plan FILE] [--plan-out FILE]\n"
               "                   [--verbose] [--trace] [--no-faults] [--perturb | --no-perturb] [--workload W]\n"
               "                   [--html FILE]   (one seed: the run drawn as a self-contained HTML timeline)\n"
               "                   [--nodes N]\n"
               "       rmq-sim run --plan FILE   (a plan file naming its scenario and seed)\n"
               "       rmq-sim shrink --scenario NAME --seed N [--plan FILE] [--out FILE] [--runs N] [--minutes M]\n"
               "       rmq-sim explore --seeds A..B [--scenario NAME] [--twice]   (every scenario: a summary table)\n"
               "  --twice     runs every seed twice; a different trace hash is a failure, and the first\n"
               "              event at which the traces part is printed\n"
               "  --plan      runs the plan in FILE instead of the seed's own faults\n"
               "  --plan-out  writes the run's plan to FILE, with the header that replays it\n"
               "  --perturb   scheduling perturbation on (or off) for every seed; by default half the seeds\n"
               "  --workload  scales the messages each producer sends (0 < w <= 1; shrink lowers it)\n"
               "  --nodes     scales the clients a scenario draws (0 < n <= 1; shrink lowers it)\n");
  return 2;
}

// A plan that does not fit the scenario: its reason, without the usage text.
int plan_refused(const std::string& why) {
  std::fprintf(stderr, "rmq-sim: %s\n", why.c_str());
  return 2;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "none" : out;
}

// ---- plan files ---------------------------------------------------------------

// Reads and parses FILE; the error says what and where.
std::optional<rmq::scenarios::PlanFile> read_plan_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read plan file '" + path + "'";
    return std::nullopt;
  }
  std::string text;
  text.resize(kPlanFileBytesMax + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return rmq::scenarios::parse_plan_file(path, text, error);
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// ---- runs ---------------------------------------------------------------------

std::string replay_command(const Scenario& s, uint64_t seed, const RunOptions& o, const std::string& plan_path) {
  return fmt::format("rmq-sim run --scenario {} --seed {}{}{}{}{} --verbose", s.name, seed,
                     o.faults ? "" : " --no-faults", plan_path.empty() ? "" : " --plan " + plan_path,
                     o.perturb ? (*o.perturb ? " --perturb" : " --no-perturb") : "",
                     o.workload != 1.0 ? fmt::format(" --workload {}", o.workload) : "") +
         (o.nodes != 1.0 ? fmt::format(" --nodes {}", o.nodes) : "");
}

void print_failure(const Scenario& s, uint64_t seed, const RunResult& r, const RunOptions& o,
                   const std::string& plan_path) {
  std::printf("FAIL scenario=%s seed=%llu hash=%016llx\n", s.name.c_str(), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(r.trace_hash));
  for (const auto& f : r.failures) std::printf("  failure: %s\n", f.c_str());
  if (!r.recent_logs.empty()) {
    std::printf("  last log lines:\n");
    const size_t from = r.recent_logs.size() > 20 ? r.recent_logs.size() - 20 : 0;
    for (size_t i = from; i < r.recent_logs.size(); ++i) std::printf("    %s\n", r.recent_logs[i].c_str());
  }
  std::printf("  replay: %s\n", replay_command(s, seed, o, plan_path).c_str());
  std::printf("  shrink: rmq-sim shrink --scenario %s --seed %llu%s\n", s.name.c_str(),
              static_cast<unsigned long long>(seed), plan_path.empty() ? "" : (" --plan " + plan_path).c_str());
}

int run_one(const Scenario& s, uint64_t seed, const RunOptions& o, const std::string& plan_path,
            const std::string& plan_out, const std::string& html_out) {
  const auto t0 = std::chrono::steady_clock::now();
  RunResult r = s.run(seed, o);
  if (!r.plan_error.empty()) return plan_refused(r.plan_error);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double sim_s = std::chrono::duration<double>(r.simulated).count();
  std::printf("scenario=%s seed=%llu hash=%016llx events=%llu simulated=%.1fs wall=%.2fs faults=%s perturb=%s\n",
              s.name.c_str(), static_cast<unsigned long long>(seed), static_cast<unsigned long long>(r.trace_hash),
              static_cast<unsigned long long>(r.events), sim_s, wall_s, join(r.faults).c_str(),
              r.perturbed ? "on" : "off");
  for (const auto& n : r.notes) std::printf("  %s\n", n.c_str());
  std::printf("  plan: %zu events%s%s\n", r.plan.events.size(), plan_path.empty() ? " (drawn from the seed)" : "",
              o.workload != 1.0 ? fmt::format(", workload {}", o.workload).c_str() : "");
  for (const auto& e : r.plan.events) std::printf("    %s\n", rmq::scenarios::to_string(e).c_str());
  if (!plan_out.empty()) {
    if (!write_file(plan_out, plan_file_text(s.name, seed, r.plan, o.workload, o.nodes, r.perturbed,
                                             {r.ok() ? "result: ok" : "failure: " + r.failures[0]}))) {
      std::fprintf(stderr, "rmq-sim: cannot write '%s'\n", plan_out.c_str());
      return 2;
    }
    std::printf("  plan written to %s\n", plan_out.c_str());
  }
  if (!html_out.empty()) {
    if (!r.timeline) {
      std::fprintf(stderr, "rmq-sim: scenario %s records no client history to draw (--html)\n", s.name.c_str());
      return 2;
    }
    rmq::scenarios::Timeline t = *r.timeline;
    t.scenario = s.name;
    t.seed = seed;
    if (!write_file(html_out, rmq::scenarios::timeline_html(t))) {
      std::fprintf(stderr, "rmq-sim: cannot write '%s'\n", html_out.c_str());
      return 2;
    }
    std::printf("  timeline written to %s\n", html_out.c_str());
  }
  if (!r.ok()) {
    print_failure(s, seed, r, o, plan_out.empty() ? plan_path : plan_out);
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
  std::string plan_error;
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
    if (!r.plan_error.empty()) {
      st.plan_error = r.plan_error;
      return st;
    }
    st.simulated_s += std::chrono::duration<double>(r.simulated).count();
    if (twice) {
      // Determinism: the same seed must replay to the same trace hash.
      const RunResult again = s.run(seed, o);
      st.simulated_s += std::chrono::duration<double>(again.simulated).count();
      if (again.trace_hash != r.trace_hash)
        r.failures.push_back(fmt::format("nondeterministic: the second run's trace hash is {:016x}; {}",
                                         again.trace_hash, rmq::scenarios::first_divergence(s, seed, o)));
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

int run_range(const Scenario& s, uint64_t first, uint64_t last, const RunOptions& o, bool twice,
              const std::string& plan_path) {
  const RangeStats st = run_seeds(s, first, last, o, twice);
  if (!st.plan_error.empty()) return plan_refused(st.plan_error);
  for (const auto& [seed, r] : st.failed) print_failure(s, seed, r, o, plan_path);
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
    for (const auto& [seed, r] : st.failed) print_failure(*s, seed, r, o, "");
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(passed),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}

// ---- shrink -------------------------------------------------------------------

int shrink(const Scenario& s, uint64_t seed, const RunOptions& o, const std::string& out_path, int runs_max,
           double minutes) {
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult first = s.run(seed, o);
  if (!first.plan_error.empty()) return plan_refused(first.plan_error);
  if (first.ok()) {
    std::printf("scenario=%s seed=%llu passes: nothing to shrink\n", s.name.c_str(),
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("shrinking scenario=%s seed=%llu: %zu events, failure: %s\n", s.name.c_str(),
              static_cast<unsigned long long>(seed), first.plan.events.size(), first.failures[0].c_str());
  rmq::scenarios::ShrinkLimits limits;
  limits.runs_max = runs_max;
  limits.out_of_time = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > minutes * 60;
  };
  limits.progress = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
  auto run = [&](const FaultPlan& plan, double workload, double nodes) {
    RunOptions c = o;
    c.verbose = false;
    c.plan = plan;
    c.workload = workload;
    c.nodes = nodes;
    return s.run(seed, c);
  };
  const auto result = rmq::scenarios::shrink_plan(first.plan, first, run, limits, o.workload, o.nodes);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string path = out_path.empty() ? fmt::format("shrunk-{}-{}.plan", s.name, seed) : out_path;
  const std::string text = plan_file_text(
      s.name, seed, result.plan, result.workload, result.nodes, first.perturbed,
      {fmt::format("checker: {}", result.signature), "failure: " + result.failure,
       fmt::format("shrunk from {} to {} events in {} runs, {:.0f} s{}", first.plan.events.size(),
                   result.plan.events.size(), result.runs, wall_s, result.stopped_early ? " (stopped early)" : ""),
       "replay: rmq-sim run --plan " + path});
  if (!write_file(path, text)) {
    std::fprintf(stderr, "rmq-sim: cannot write '%s'\n", path.c_str());
    return 2;
  }
  std::printf("%s", text.c_str());
  std::printf("written to %s\n", path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage("");
  if (args[0] == "list") {
    for (const auto& s : rmq::scenarios::all_scenarios()) std::printf("%-12s %s\n", s.name.c_str(), s.goal.c_str());
    return 0;
  }
  if (args[0] == "canaries") {
    // canary, the scenario that catches it, the seeds it needs; '*' marks
    // the one this build compiles in.
    const auto selected = rmq::common::selected_canary();
    for (const auto& c : rmq::scenarios::canary_checks())
      std::printf("%s %s %llu%s\n", std::string(rmq::common::to_string(c.canary)).c_str(),
                  std::string(c.scenario).c_str(), static_cast<unsigned long long>(c.seeds),
                  c.canary == selected ? " *" : "");
    return 0;
  }
  const std::string command = args[0];
  if (command != "run" && command != "explore" && command != "shrink") return usage("unknown command '" + command + "'");
  std::string name, seed_arg, seeds_arg, plan_path, plan_out, out_path, runs_arg, minutes_arg, workload_arg,
      nodes_arg, html_out;
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
    } else if (a == "--plan") {
      if (!value(plan_path)) return usage("--plan needs a file");
    } else if (a == "--plan-out" && command == "run") {
      if (!value(plan_out)) return usage("--plan-out needs a file");
    } else if (a == "--html" && command == "run") {
      if (!value(html_out)) return usage("--html needs a file");
    } else if (a == "--out" && command == "shrink") {
      if (!value(out_path)) return usage("--out needs a file");
    } else if (a == "--runs" && command == "shrink") {
      if (!value(runs_arg)) return usage("--runs needs a number");
    } else if (a == "--minutes" && command == "shrink") {
      if (!value(minutes_arg)) return usage("--minutes needs a number");
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--trace") {
      o.trace = true;
    } else if (a == "--no-faults") {
      o.faults = false;
    } else if (a == "--twice") {
      twice = true;
    } else if (a == "--workload") {
      if (!value(workload_arg)) return usage("--workload needs a number");
    } else if (a == "--nodes") {
      if (!value(nodes_arg)) return usage("--nodes needs a number");
    } else if (a == "--perturb") {
      o.perturb = true;
    } else if (a == "--no-perturb") {
      o.perturb = false;
    } else {
      return usage("unknown option '" + a + "'");
    }
  }
  if (!plan_path.empty()) {
    if (command == "explore") return usage("explore draws its own plans; --plan goes with run or shrink");
    std::string error;
    auto file = read_plan_file(plan_path, error);
    if (!file) return plan_refused(error);
    if (name.empty()) name = file->scenario;
    if (seed_arg.empty() && seeds_arg.empty() && file->seed) seed_arg = std::to_string(*file->seed);
    o.plan = std::move(file->plan);
    if (file->workload) o.workload = *file->workload;
    if (file->nodes) o.nodes = *file->nodes;
    if (file->perturb && !o.perturb) o.perturb = file->perturb;
  }
  if (!workload_arg.empty()) {
    auto w = parse_workload(workload_arg);
    if (!w) return usage("bad --workload '" + workload_arg + "' (want 0 < w <= 1)");
    o.workload = *w;
  }
  if (!nodes_arg.empty()) {
    auto n = parse_workload(nodes_arg);
    if (!n) return usage("bad --nodes '" + nodes_arg + "' (want 0 < n <= 1)");
    o.nodes = *n;
  }
  const Scenario* s = rmq::scenarios::find_scenario(name);
  if (command == "explore") {
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
    if (command == "shrink") {
      uint64_t runs = 1000, minutes = 10;
      if (!runs_arg.empty() && (!parse_u64(runs_arg, runs) || runs == 0 || runs > 1'000'000))
        return usage("bad --runs '" + runs_arg + "'");
      if (!minutes_arg.empty() && (!parse_u64(minutes_arg, minutes) || minutes == 0 || minutes > 10'000))
        return usage("bad --minutes '" + minutes_arg + "'");
      return shrink(*s, seed, o, out_path, static_cast<int>(runs), static_cast<double>(minutes));
    }
    return run_one(*s, seed, o, plan_path, plan_out, html_out);
  }
  if (command == "shrink") return usage("shrink takes one --seed");
  if (!plan_out.empty()) return usage("--plan-out goes with --seed");
  if (!html_out.empty()) return usage("--html goes with --seed");
  const auto dots = seeds_arg.find("..");
  uint64_t first = 0, last = 0;
  if (dots == std::string::npos || !parse_u64(seeds_arg.substr(0, dots), first) ||
      !parse_u64(seeds_arg.substr(dots + 2), last) || first > last)
    return usage("bad seed range '" + seeds_arg + "' (want A..B with A <= B)");
  if (command == "explore") {
    std::vector<const Scenario*> list;
    if (s != nullptr) {
      list.push_back(s);
    } else {
      for (const auto& sc : rmq::scenarios::all_scenarios()) list.push_back(&sc);
    }
    return explore(list, first, last, o, twice);
  }
  return run_range(*s, first, last, o, twice, plan_path);
}
