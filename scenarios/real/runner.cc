#include "scenarios/real/runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "scenarios/fault_inject.h"
#include "scenarios/fault_plan.h"
#include "scenarios/history.h"
#include "scenarios/plan_file.h"
#include "scenarios/real/faults.h"
#include "scenarios/real/shape.h"
#include "scenarios/real/workload.h"
#include "scenarios/scenario.h"

namespace rmq::chaos {

namespace {

using namespace std::chrono_literals;
using scenarios::FaultEvent;
using scenarios::FaultKind;
using scenarios::FaultPlan;
namespace h = scenarios::history;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kTmpfsBytes = 256ull << 20;  // a broker store that can be filled
constexpr const char* kCommitLogSegmentBytes = "67108864";  // fits the tmpfs several times

// The processes of one run, from the shape.
struct Cluster {
  RealShape shape;
  std::vector<NodeSpec> nodes;  // in shape order: node i has node_ip(i)
  std::vector<std::string> producers, consumers, servers, brokers;
  std::map<std::string, std::string> history_of;  // worker -> its history file
  std::map<std::string, std::string> address_of;  // broker -> ip:10911
};

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// A consumer's client id (ip@c<index among consumers>), as the history names it.
std::map<std::string, std::string> client_ids(const RealShape& s) {
  std::map<std::string, std::string> out;
  int c = 0;
  for (size_t i = 0; i < s.nodes.size(); ++i)
    if (s.nodes[i].role == Role::consumer) out[s.nodes[i].name] = fmt::format("{}@c{}", node_ip(i), c++);
  return out;
}

Cluster describe(const RealShape& shape, const fs::path& bin, const fs::path& self, const fs::path& work, int count,
                 const std::set<std::string>& tmpfs_brokers) {
  Cluster c;
  c.shape = shape;
  std::vector<std::string> namesrvs, masters;
  for (size_t i = 0; i < shape.nodes.size(); ++i) {
    const RealNode& n = shape.nodes[i];
    if (n.role == Role::namesrv) namesrvs.push_back(node_ip(i) + ":9876");
    if (n.role == Role::broker) {
      c.address_of[n.name] = node_ip(i) + ":10911";
      if (n.broker.broker_id == 0) masters.push_back(c.address_of[n.name]);
    }
  }
  const std::string namesrv_list = join(namesrvs, ";");
  int producer = 0, consumer = 0;
  for (size_t i = 0; i < shape.nodes.size(); ++i) {
    const RealNode& n = shape.nodes[i];
    std::vector<std::string> argv;
    const std::string hist = (work / (n.name + ".history")).string();
    switch (n.role) {
      case Role::namesrv:
        argv = {(bin / "rmq-namesrv").string(), "--listenPort=9876",
                "--kvConfigPath=" + (work / (n.name + "-kv.json")).string()};
        c.servers.push_back(n.name);
        break;
      case Role::broker: {
        const BrokerSpec& b = n.broker;
        argv = {(bin / "rmq-broker").string(), "--brokerName=" + b.broker_name,
                fmt::format("--brokerId={}", b.broker_id), "--brokerRole=" + b.role,
                std::string("--flushDiskType=") + (b.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH"),
                "--brokerIP1=" + node_ip(i), "--namesrvAddr=" + namesrv_list, "--listenPort=10911",
                "--haListenPort=10912", "--slaveReadEnable=true",
                "--storePathRootDir=" + (work / (n.name + "-store")).string()};
        if (!b.master.empty()) {
          const auto m = std::find_if(shape.nodes.begin(), shape.nodes.end(), [&](const RealNode& x) { return x.name == b.master; });
          argv.push_back("--haMasterAddress=" + node_ip(static_cast<size_t>(m - shape.nodes.begin())) + ":10912");
        }
        if (shape.transaction_check_interval_ms > 0)
          argv.push_back(fmt::format("--transactionCheckInterval={}", shape.transaction_check_interval_ms));
        if (tmpfs_brokers.count(n.name)) argv.push_back(std::string("--mappedFileSizeCommitLog=") + kCommitLogSegmentBytes);
        c.servers.push_back(n.name);
        c.brokers.push_back(n.name);
        break;
      }
      case Role::producer: {
        const ProducerSpec& p = n.producer;
        // Transactions take up to 12 s each (the local transaction's work).
        const int sends = p.transactional ? std::max(5, count / 30) : count;
        argv = {self.string(), "worker", "producer", fmt::format("--id={}", producer++), "--namesrvs=" + namesrv_list,
                "--brokers=" + join(masters, ";"), "--ip=" + node_ip(i), "--history=" + hist,
                fmt::format("--count={}", sends), "--gap-ms=200", fmt::format("--delay-share={}", p.delay_share),
                std::string("--orderly=") + (p.orderly ? "true" : "false"),
                std::string("--transactional=") + (p.transactional ? "true" : "false")};
        c.producers.push_back(n.name);
        c.history_of[n.name] = hist;
        break;
      }
      case Role::consumer: {
        const ConsumerSpec& k = n.consumer;
        argv = {self.string(), "worker", "consumer", fmt::format("--id={}", consumer++), "--namesrvs=" + namesrv_list,
                "--ip=" + node_ip(i), "--history=" + hist, "--group=" + k.group,
                std::string("--broadcasting=") + (k.broadcasting ? "true" : "false"),
                std::string("--orderly=") + (k.orderly ? "true" : "false"),
                fmt::format("--failure-share={}", k.failure_share), "--topic=" + (k.topic.empty() ? kChaosTopic : k.topic)};
        c.consumers.push_back(n.name);
        c.history_of[n.name] = hist;
        break;
      }
    }
    c.nodes.push_back({n.name, node_ip(i), std::move(argv), (work / (n.name + ".log")).string()});
  }
  return c;
}

// The cluster shape's own draw: kills, pauses, cuts, clogs (client-broker
// and broker-namesrv) and loss over `seconds`, from the seed's plan
// generator.
FaultPlan draw_plan(uint64_t seed, int seconds, const Cluster& c) {
  rt::Random r = scenarios::plan_random(seed);
  FaultPlan plan;
  const std::vector<std::string>& brokers = c.brokers;
  auto pick = [&r](const std::vector<std::string>& v) -> const std::string& { return v[r.below(v.size())]; };
  auto ms = [&r](int64_t lo, int64_t hi) { return std::chrono::milliseconds(r.between(lo, hi)); };
  std::vector<std::string> clients = c.producers, namesrvs;
  clients.insert(clients.end(), c.consumers.begin(), c.consumers.end());
  for (const auto& n : c.shape.nodes)
    if (n.role == Role::namesrv) namesrvs.push_back(n.name);
  for (rt::Duration t = 10s; t < std::chrono::seconds(seconds - 10); t += ms(5000, 15000)) {
    switch (r.below(5)) {
      case 4: {  // a clogged or slow link (the proxy): client-broker, or 1 in 4 broker-namesrv
        const bool servers = r.below(4) == 0;
        const std::string& a = servers ? pick(namesrvs) : pick(clients);
        const std::string& b = pick(brokers);
        if (r.chance(0.5)) {
          plan.add(t, FaultKind::clog, a, b, true).delay = ms(200, 3000);
          plan.add(t + ms(2000, 15000), FaultKind::unclog, a, b, true);
        } else {
          plan.add(t, FaultKind::latency, a, b, true).delay = ms(20, 500);
          plan.add(t + ms(2000, 15000), FaultKind::latency, a, b, true).delay = rt::Duration::zero();
        }
        break;
      }
      case 3: {  // a lossy client-broker link
        const std::string& a = pick(clients);
        const std::string& b = pick(brokers);
        plan.add(t, FaultKind::loss, a, b, true).rate = 0.05 + static_cast<double>(r.below(30)) / 100;
        plan.add(t + ms(2000, 15000), FaultKind::loss, a, b, true).rate = 0;
        break;
      }
      case 0: {
        const std::string& b = pick(brokers);
        plan.add(t, FaultKind::crash, b);
        plan.add(t + ms(1000, 8000), FaultKind::restart, b);
        break;
      }
      case 1: {
        const std::string& n = r.chance(0.5) ? pick(brokers) : pick(c.consumers);
        plan.add(t, FaultKind::pause, n);
        plan.add(t + ms(1000, 10000), FaultKind::resume, n);
        break;
      }
      default: {
        const std::string& a = r.chance(0.3) ? pick(c.servers) : pick(clients);
        std::string b = pick(brokers);
        if (a == b) b = b == brokers[0] ? brokers[1] : brokers[0];
        plan.add(t, FaultKind::partition, a, b, r.chance(0.6));
        plan.add(t + ms(2000, 15000), FaultKind::heal, a, b, true);
        break;
      }
    }
  }
  return plan;
}

bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(500ms);
  }
  return true;
}

// Who must see every acknowledged message: each clustering group on the
// run's topic, and each broadcasting member not killed for good.
std::vector<std::string> receivers(const RealShape& s, const std::set<std::string>& killed) {
  std::set<std::string> out;
  const auto ids = client_ids(s);
  for (const auto& n : s.nodes) {
    if (n.role != Role::consumer || !n.consumer.topic.empty() || killed.count(n.name)) continue;
    out.insert(n.consumer.broadcasting ? ids.at(n.name) : n.consumer.group);
  }
  return {out.begin(), out.end()};
}

std::set<std::string> keys_of(const h::History& hist, const std::string& receiver) {
  std::set<std::string> out;
  for (const auto& d : hist.deliveries)
    if (d.group == receiver || d.consumer == receiver) out.insert(d.key);
  return out;
}

// The groups the shape's consumers form (broadcasting members killed for
// good are not expected to see anything).
void declare_groups(const RealShape& s, const std::set<std::string>& killed, h::History& hist) {
  const auto ids = client_ids(s);
  for (const auto& n : s.nodes) {
    if (n.role != Role::consumer) continue;
    h::Group& g = hist.groups[n.consumer.group];
    g.kind = n.consumer.broadcasting ? h::GroupKind::broadcasting : h::GroupKind::clustering;
    g.topics.insert(n.consumer.topic.empty() ? kChaosTopic : n.consumer.topic);
    g.orderly = n.consumer.orderly;
    if (n.consumer.broadcasting && !killed.count(n.name)) g.members.insert(ids.at(n.name));
  }
}

// Reads the workers' histories in `work` (its "run" file: the scenario,
// seed, when the faults ended, when recording stopped, what was killed for
// good) and runs every checker; prints the summary and appends the
// violations to `failures`.
void check_histories(const fs::path& work, std::vector<std::string>& failures) {
  std::string scenario = "cluster";
  uint64_t seed = 1;
  double nodes = 1.0;
  h::History hist;
  std::set<std::string> killed;
  std::ifstream run(work / "run");
  for (std::string what; run >> what;) {
    std::string value;
    run >> value;
    const auto instant = [&] { return rt::Instant(rt::Duration(std::strtoll(value.c_str(), nullptr, 10))); };
    if (what == "scenario") scenario = value;
    if (what == "seed") seed = std::strtoull(value.c_str(), nullptr, 10);
    if (what == "nodes") nodes = std::strtod(value.c_str(), nullptr);
    if (what == "healed") hist.healed_at = instant();
    if (what == "end") hist.end = instant();
    if (what == "killed") killed.insert(value);
  }
  const RealShape shape = real_shape(scenario, seed, nodes);
  if (!shape.refused.empty()) {
    failures.push_back("the run names scenario " + scenario + ": " + shape.refused);
    return;
  }
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(work))
    if (entry.path().extension() == ".history") paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  int bad_lines = 0;
  read_histories(paths, hist, bad_lines);
  declare_groups(shape, killed, hist);
  if (hist.end == rt::Instant{}) {  // no times: up to the last record
    for (const auto& d : hist.deliveries) hist.end = std::max(hist.end, d.at);
    for (const auto& snd : hist.sends) hist.end = std::max(hist.end, snd.completed);
  }
  // ASYNC_MASTER: what a master killed for good had not replicated is
  // lost, as configured. Counted, not failed.
  std::set<std::string> lossy_brokers;
  if (shape.async_replication)
    for (const auto& n : shape.nodes)
      if (n.role == Role::broker && n.broker.broker_id == 0 && killed.count(n.name)) lossy_brokers.insert(n.broker.broker_name);
  const h::Summary sum = h::check_all(hist);
  int tolerated = 0;
  for (const auto& v : sum.violations) {
    const bool lost = v.kind == h::ViolationKind::lost_write || v.kind == h::ViolationKind::unseen_after_heal;
    if (lost && v.queue && lossy_brokers.count(v.queue->broker)) {
      ++tolerated;
      continue;
    }
    if (failures.size() < 20) failures.push_back(h::to_string(v.kind) + ": " + v.description);
  }
  int64_t acked = 0;
  for (const auto& snd : hist.sends) acked += snd.outcome == h::SendOutcome::acked ? 1 : 0;
  std::printf("scenario=%s seed=%llu sends=%zu acked=%lld deliveries=%zu unreadable_lines=%d (a killed worker's torn "
              "last line)\n",
              scenario.c_str(), static_cast<unsigned long long>(seed), hist.sends.size(), static_cast<long long>(acked),
              hist.deliveries.size(), bad_lines);
  for (const auto& line : sum.lines()) std::printf("  %s\n", line.c_str());
  if (tolerated > 0)
    std::printf("  %d lost after an ASYNC_MASTER was killed for good: counted, as the configuration allows\n", tolerated);
  for (const auto& u : shape.unchecked) std::printf("  not checked for real: %s\n", u.c_str());
  if (acked == 0) failures.push_back("no send was acknowledged: the cluster never worked");
}

int finish(const std::vector<std::string>& failures) {
  for (const auto& f : failures) std::printf("  failure: %s\n", f.c_str());
  std::printf("%s\n%d passed, %d failed\n", failures.empty() ? "result: ok" : "result: FAILED", failures.empty() ? 1 : 0,
              failures.empty() ? 0 : 1);
  return failures.empty() ? 0 : 1;
}

struct RunArgs {
  std::string scenario;  // empty: cluster, with rmq-chaos's own draw
  std::optional<uint64_t> seed;
  int seconds = 120;
  bool seconds_given = false;
  std::string plan_path, work;
  double nodes = 1.0;  // a shrunk plan's "# nodes:"
  fs::path bin;
  bool drop_unsupported = false;
};

std::string parse_run_args(const std::vector<std::string>& args, RunArgs& a) {
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (args[i] == "--seed" && value(v)) {
      uint64_t seed = 0;
      if (!scenarios::parse_u64(v, seed)) return "bad seed '" + v + "'";
      a.seed = seed;
    } else if (args[i] == "--seconds" && value(v)) {
      a.seconds = std::atoi(v.c_str());
      a.seconds_given = true;
      if (a.seconds < 20 || a.seconds > 86400) return "--seconds wants 20..86400";
    } else if (args[i] == "--scenario" && value(a.scenario)) {
    } else if (args[i] == "--plan" && value(a.plan_path)) {
    } else if (args[i] == "--bin" && value(v)) {
      a.bin = v;
    } else if (args[i] == "--work" && value(a.work)) {
    } else if (args[i] == "--drop-unsupported") {
      a.drop_unsupported = true;
    } else {
      return "bad argument '" + args[i] + "'";
    }
  }
  return "";
}

// The plan and shape of a run: from a plan file, from the scenario's own
// simulated run of the seed, or (cluster, no scenario named) drawn here.
std::string choose(RunArgs& a, const fs::path& self, const fs::path& work, FaultPlan& plan, Cluster& c,
                   std::set<std::string>& tmpfs_brokers) {
  std::string scenario = a.scenario;
  uint64_t seed = a.seed.value_or(1);
  bool have_plan = false;
  if (!a.plan_path.empty()) {
    std::ifstream in(a.plan_path, std::ios::binary);
    if (!in) return "cannot read " + a.plan_path;
    std::string text(scenarios::kPlanFileBytesMax + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    std::string error;
    auto file = scenarios::parse_plan_file(a.plan_path, text, error);
    if (!file) return error;
    if (!file->scenario.empty() && !scenario.empty() && file->scenario != scenario)
      return fmt::format("{} is a plan of {}, not {}", a.plan_path, file->scenario, scenario);
    if (!file->scenario.empty()) scenario = file->scenario;
    if (file->seed) seed = *file->seed;
    if (file->nodes) a.nodes = *file->nodes;
    plan = std::move(file->plan);
    have_plan = true;
  } else if (!scenario.empty()) {
    const scenarios::Scenario* sc = scenarios::find_scenario(scenario);
    if (!sc) return "no scenario '" + scenario + "' (rmq-sim list)";
    if (!real_shape(scenario, seed).refused.empty()) return scenario + ": " + real_shape(scenario, seed).refused;
    std::printf("rmq-chaos: simulating %s seed %llu for its plan\n", scenario.c_str(),
                static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    plan = sc->run(seed, {}).plan;
    have_plan = true;
  }
  if (scenario.empty()) scenario = "cluster";
  const RealShape shape = real_shape(scenario, seed, a.nodes);
  if (!shape.refused.empty()) return scenario + ": " + shape.refused;
  if (have_plan && !a.seconds_given) {
    a.seconds = 20;
    for (const auto& e : plan.events) a.seconds = std::max(a.seconds, static_cast<int>(e.at / 1s) + 10);
  }
  for (const auto& e : plan.events)  // a disk to fill (a disk_full the rules below refuse or drop needs none)
    if (e.kind == FaultKind::disk_full && is_broker(shape, e.node)) tmpfs_brokers.insert(e.node);
  const int count = 10 * a.seconds;  // sends for about as long as the faults (gaps of 1-200 ms, 100 on average)
  c = describe(shape, a.bin, self, work, count, tmpfs_brokers);
  if (!have_plan) plan = draw_plan(seed, a.seconds, c);
  std::stable_sort(plan.events.begin(), plan.events.end(), [](const auto& x, const auto& y) { return x.at < y.at; });
  // Every node named must be in the shape; every kind applicable.
  std::vector<FaultEvent> kept;
  std::vector<std::string> dropped;
  for (const auto& e : plan.events) {
    if (!find_node(shape, e.node) || (scenarios::is_link_fault(e.kind) && !find_node(shape, e.peer)))
      return fmt::format("'{}': no such node in {}'s cluster (rmq-chaos shape --scenario {})", scenarios::to_string(e),
                         scenario, scenario);
    const std::string why = unsupported(e, shape);
    if (why.empty()) {
      kept.push_back(e);
    } else if (a.drop_unsupported) {
      dropped.push_back(scenarios::to_string(e) + "  (" + why + ")");
    } else {
      return fmt::format("'{}': {} (--drop-unsupported runs the rest)", scenarios::to_string(e), why);
    }
  }
  plan.events = std::move(kept);
  a.scenario = scenario;
  a.seed = seed;
  if (!dropped.empty()) {
    std::printf("rmq-chaos: %zu events dropped (no real means for them):\n", dropped.size());
    for (const auto& d : dropped) std::printf("  %s\n", d.c_str());
  }
  return "";
}

}  // namespace

int usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "rmq-chaos: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: rmq-chaos run [--scenario S] [--seed N | --plan FILE] [--seconds S] [--bin DIR] [--work DIR]\n"
               "                     [--drop-unsupported]\n"
               "       rmq-chaos check --work DIR   (the checkers again, over a kept run's histories)\n"
               "       rmq-chaos shape --scenario S [--seed N]   (the processes a run of S starts)\n"
               "  --scenario S  start S's cluster and apply the plan S draws for the seed in the simulator\n"
               "                (default: the cluster scenario, with kills, pauses, cuts, clogs and loss drawn here)\n"
               "  --seed N      the seed (default 1)\n"
               "  --plan FILE   apply this plan (rmq-sim run --plan-out, rmq-sim shrink); its header names the\n"
               "                scenario and seed\n"
               "  --seconds S   how long faults go on (default 120; the plan's own length with a plan)\n"
               "  --bin DIR     where rmq-namesrv and rmq-broker are (default: beside rmq-chaos)\n"
               "  --work DIR    data, logs and histories (default: a new directory under /tmp, removed if ok)\n"
               "  --drop-unsupported  run without the events rmq-chaos has no real means for (listed)\n");
  return 2;
}

int check_command_line(const std::vector<std::string>& args) {
  if (args.size() != 2 || args[0] != "--work") return usage("check takes --work DIR");
  if (!fs::is_directory(args[1])) return usage("no directory '" + args[1] + "'");
  std::vector<std::string> failures;
  check_histories(args[1], failures);
  return finish(failures);
}

int shape_command_line(const std::vector<std::string>& args) {
  std::string scenario;
  uint64_t seed = 1;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--scenario") scenario = args[i + 1];
    else if (args[i] != "--seed" || !scenarios::parse_u64(args[i + 1], seed)) return usage("bad argument '" + args[i] + "'");
  }
  if (scenario.empty() || args.size() % 2 != 0) return usage("shape takes --scenario S [--seed N]");
  const RealShape s = real_shape(scenario, seed);
  if (!s.refused.empty()) return usage(scenario + ": " + s.refused);
  static constexpr const char* kRoles[] = {"namesrv", "broker", "producer", "consumer"};
  for (size_t i = 0; i < s.nodes.size(); ++i) {
    const RealNode& n = s.nodes[i];
    std::string what;
    if (n.role == Role::broker)
      what = fmt::format("{} id={} {} {}{}", n.broker.broker_name, n.broker.broker_id, n.broker.role,
                         n.broker.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH",
                         n.broker.master.empty() ? "" : " of " + n.broker.master);
    if (n.role == Role::producer)
      what = fmt::format("{}{}{}", n.producer.orderly ? "by sharding key " : "",
                         n.producer.delay_share > 0 ? fmt::format("delay share {} ", n.producer.delay_share) : "",
                         n.producer.transactional ? "transactions" : "");
    if (n.role == Role::consumer)
      what = fmt::format("group {} {}{}{}", n.consumer.group, n.consumer.broadcasting ? "broadcasting" : "clustering",
                         n.consumer.orderly ? " orderly" : "",
                         n.consumer.topic.empty() ? "" : " topic " + n.consumer.topic) +
             (n.consumer.failure_share > 0 ? fmt::format(" failing {}", n.consumer.failure_share) : "");
    std::printf("%-12s %-15s %-8s %s\n", n.name.c_str(), node_ip(i).c_str(), kRoles[static_cast<int>(n.role)], what.c_str());
  }
  for (const auto& u : s.unchecked) std::printf("not checked for real: %s\n", u.c_str());
  return 0;
}

int run_command_line(const std::vector<std::string>& args, const fs::path& self) {
  RunArgs a;
  a.bin = self.parent_path();
  if (auto bad = parse_run_args(args, a); !bad.empty()) return usage(bad);
  for (const char* b : {"rmq-namesrv", "rmq-broker"})
    if (!fs::exists(a.bin / b)) return usage(fmt::format("no {} in {} (--bin DIR)", b, a.bin.string()));
  const fs::path work = a.work.empty() ? fs::path(fmt::format("/tmp/rmq-chaos-{}", ::getpid())) : fs::path(a.work);
  FaultPlan plan;
  Cluster c;
  std::set<std::string> tmpfs_brokers;
  if (auto bad = choose(a, self, work, plan, c, tmpfs_brokers); !bad.empty()) return usage(bad);

  if (auto missing = ChaosNet::missing_prerequisites(); !missing.empty()) return usage(missing);
  ChaosNet::lock_machine();
  fs::create_directories(work);
  Rigs rigs;
  std::string error;
  for (const auto& b : tmpfs_brokers)
    if (!rigs.disks.mount(b, (work / (b + "-store")).string(), kTmpfsBytes, error)) return usage(error);
  if (!rigs.net.setup(c.nodes, error)) return usage("setting up the namespaces: " + error);
  // Every connection through the proxy (clogs, latency, resets).
  const std::vector<ProxyLink> links = proxy_links(c.shape);
  for (const auto& l : links) {
    if (!rigs.net.redirect(l.from, l.to, l.to_port, l.port))
      return usage(fmt::format("cannot redirect {} to {} through the proxy", l.from, l.to));
  }
  if (!rigs.proxy.start(ChaosNet::kHubNetns, ChaosNet::kHubIp, links, error)) return usage("the proxy: " + error);
  std::printf("rmq-chaos: %s seed %llu: %zu nodes in namespaces rmqc-*, %zu proxied links, work directory %s\n",
              a.scenario.c_str(), static_cast<unsigned long long>(*a.seed), c.nodes.size(), links.size(), work.c_str());
  for (const auto& s : c.servers) rigs.net.start(s);
  std::this_thread::sleep_for(3s);  // the namesrvs and brokers listen and register
  for (const auto& s : c.servers)
    if (!rigs.net.running(s)) return usage(fmt::format("{} exited at start (see {}/{}.log)", s, work.string(), s));
  for (const auto& w : c.consumers) rigs.net.start(w);
  for (const auto& w : c.producers) rigs.net.start(w);
  const auto t0 = Clock::now();
  std::printf("plan: %zu events over %d s\n", plan.events.size(), a.seconds);
  for (const auto& e : plan.events) {
    std::this_thread::sleep_until(t0 + e.at);
    apply(rigs, c.shape, e);
  }
  std::this_thread::sleep_until(t0 + std::chrono::seconds(a.seconds));
  // Faults over: links healed, disks emptied, everything running again.
  rigs.net.heal_all();
  rigs.proxy.clear_delays();
  for (const auto& b : tmpfs_brokers) rigs.disks.free(b);
  for (const auto& n : c.nodes) {
    rigs.net.resume(n.name);
    const bool finished_producer =
        std::find(c.producers.begin(), c.producers.end(), n.name) != c.producers.end() && rigs.net.exit_status(n.name) == 0;
    if (!rigs.killed.count(n.name) && !finished_producer && !rigs.net.running(n.name)) rigs.net.start(n.name);
  }
  const auto healed = Clock::now();
  std::printf("faults over at %.0f s; waiting for the producers\n", std::chrono::duration<double>(healed - t0).count());
  std::vector<std::string> failures;
  const bool produced = wait_until([&] {
    for (const auto& p : c.producers)
      if (!rigs.killed.count(p) && rigs.net.running(p)) return false;
    return true;
  }, 300s);
  if (!produced) failures.push_back("the producers did not finish within 5 minutes of the heal");
  std::vector<std::string> paths;
  for (const auto& [w, p] : c.history_of) paths.push_back(p);
  // Until every acknowledged message reached each receiver (or 4 minutes:
  // a message failed three times is retried 10 s, 30 s and 1 min later).
  const std::vector<std::string> who = receivers(c.shape, rigs.killed);
  wait_until([&] {
    h::History hist;
    int bad = 0;
    read_histories(paths, hist, bad);
    std::set<std::string> acked;
    for (const auto& s : hist.sends)
      if (s.outcome == h::SendOutcome::acked) acked.insert(s.key);
    for (const auto& r : who) {
      const auto got = keys_of(hist, r);
      if (!std::includes(got.begin(), got.end(), acked.begin(), acked.end())) return false;
    }
    return true;
  }, 240s);
  std::this_thread::sleep_for(3s);  // late duplicates show up too
  for (const auto& w : c.consumers)
    if (rigs.net.running(w)) rigs.net.kill(w);  // what they consumed is on disk, line by line
  const auto end = Clock::now();
  rigs.net.shutdown();
  rigs.proxy.stop();
  rigs.disks.unmount_all();

  const auto ns = [](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  };
  {
    std::ofstream run(work / "run");
    run << "scenario " << a.scenario << "\nseed " << *a.seed << "\nnodes " << a.nodes << "\nhealed " << ns(healed) << "\nend " << ns(end) << "\n";
    for (const auto& k : rigs.killed) run << "killed " << k << "\n";
  }
  check_histories(work, failures);
  if (failures.empty() && a.work.empty()) {
    std::error_code ignored;
    fs::remove_all(work, ignored);  // nothing to look at
  } else {
    std::printf("logs and histories in %s\n", work.c_str());
  }
  return finish(failures);
}

}  // namespace rmq::chaos
