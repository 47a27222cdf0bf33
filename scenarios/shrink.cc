#include "scenarios/shrink.h"

#include <fmt/format.h>

#include <algorithm>

namespace rmq::scenarios {

std::string failure_signature(const std::string& failure) {
  std::string head = failure.substr(0, failure.find(':'));
  std::string out;
  for (char c : head)
    if (c < '0' || c > '9') out.push_back(c);
  return out;
}

bool fails_with(const RunResult& r, const std::string& signature) {
  return std::any_of(r.failures.begin(), r.failures.end(),
                     [&](const std::string& f) { return failure_signature(f) == signature; });
}

namespace {

class Shrinker {
 public:
  Shrinker(const ShrinkRun& run, const ShrinkLimits& limits, ShrinkResult& out)
      : run_(run), limits_(limits), out_(out) {}

  bool stopped() {
    if (out_.stopped_early) return true;
    if (out_.runs >= limits_.runs_max || (limits_.out_of_time && limits_.out_of_time())) out_.stopped_early = true;
    return out_.stopped_early;
  }

  // Runs `candidate`; keeps it when it fails the same way.
  bool try_plan(const FaultPlan& candidate, const char* step) {
    return try_run(candidate, out_.workload, out_.nodes, step);
  }

  bool try_run(const FaultPlan& candidate, double workload, double nodes, const char* step) {
    if (stopped()) return false;
    ++out_.runs;
    const RunResult r = run_(candidate, workload, nodes);
    if (!fails_with(r, out_.signature)) return false;
    // A scenario whose producers do not count messages (or whose clients
    // are fixed) runs the same at any scale: nothing was cut.
    const bool rescaled = workload != out_.workload || nodes != out_.nodes;
    if (rescaled && candidate == out_.plan && r.trace_hash == out_.trace_hash) return false;
    // Fewer nodes: the run dropped the events of the ones that went.
    out_.plan = nodes != out_.nodes ? r.plan : candidate;
    out_.workload = workload;
    out_.nodes = nodes;
    out_.trace_hash = r.trace_hash;
    for (const auto& f : r.failures)
      if (failure_signature(f) == out_.signature) {
        out_.failure = f;
        break;
      }
    if (limits_.progress)
      limits_.progress(fmt::format("run {}: {} -> {} events, workload {}, nodes {} still fail", out_.runs, step,
                                   out_.plan.events.size(), workload, nodes));
    return true;
  }

  // ddmin over the events: remove chunks while the rest still fails.
  void drop_events() {
    size_t chunks = 2;
    while (out_.plan.events.size() >= 1 && !stopped()) {
      const auto& ev = out_.plan.events;
      const size_t n = ev.size();
      chunks = std::min(chunks, n);
      bool removed = false;
      for (size_t c = 0; c < chunks && !removed; ++c) {
        const size_t from = c * n / chunks, to = (c + 1) * n / chunks;
        FaultPlan rest;
        for (size_t i = 0; i < n; ++i)
          if (i < from || i >= to) rest.events.push_back(ev[i]);
        if (try_plan(rest, "drop events")) {
          removed = true;
          chunks = std::max<size_t>(chunks - 1, 2);
        }
      }
      if (removed) continue;
      if (chunks >= n) break;
      chunks = std::min(n, chunks * 2);
    }
  }

  // Halve delays and rates, move events toward their predecessor.
  void simplify_events() {
    for (size_t i = 0; i < out_.plan.events.size() && !stopped(); ++i) {
      for (int step = 0; step < 4; ++step) {
        FaultPlan c = out_.plan;
        FaultEvent& e = c.events[i];
        if (e.delay <= rt::Duration(1'000'000)) break;
        e.delay /= 2;
        if (!try_plan(c, "halve a delay")) break;
      }
      for (int step = 0; step < 4; ++step) {
        FaultPlan c = out_.plan;
        FaultEvent& e = c.events[i];
        const rt::Duration before = i == 0 ? rt::Duration::zero() : c.events[i - 1].at;
        if (e.at - before <= rt::Duration(10'000'000)) break;
        e.at = before + (e.at - before) / 2;
        if (!try_plan(c, "move an event earlier")) break;
      }
    }
  }

  // Fewer messages: halve the workload while the failure stays.
  void cut_workload() {
    for (int step = 0; step < 6 && !stopped(); ++step)
      if (!try_run(out_.plan, out_.workload / 2, out_.nodes, "halve the workload")) break;
  }

  // Fewer clients: halve them while the failure stays.
  void cut_nodes() {
    for (int step = 0; step < 3 && !stopped(); ++step)
      if (!try_run(out_.plan, out_.workload, out_.nodes / 2, "halve the clients")) break;
  }

 private:
  const ShrinkRun& run_;
  const ShrinkLimits& limits_;
  ShrinkResult& out_;
};

}  // namespace

ShrinkResult shrink_plan(const FaultPlan& start, const RunResult& first, const ShrinkRun& run,
                         const ShrinkLimits& limits, double workload, double nodes) {
  RMQ_ASSERT_MSG(!first.ok(), "shrink_plan of a passing run");
  ShrinkResult out;
  out.plan = start;
  out.workload = workload;
  out.nodes = nodes;
  out.trace_hash = first.trace_hash;
  out.signature = failure_signature(first.failures.front());
  out.failure = first.failures.front();
  // Events in time order, as the injector runs them.
  std::stable_sort(out.plan.events.begin(), out.plan.events.end(),
                   [](const FaultEvent& a, const FaultEvent& b) { return a.at < b.at; });
  Shrinker s(run, limits, out);
  s.drop_events();
  s.simplify_events();
  s.drop_events();  // a shortened fault may make another event unnecessary
  s.cut_workload();
  s.cut_nodes();
  return out;
}

}  // namespace rmq::scenarios
