// rmq-chaos: the cluster scenario against real processes.
//
//   rmq-chaos run [--seed N | --plan FILE] [--seconds S] [--bin DIR] [--work DIR]
//   rmq-chaos check --work DIR
//
// Starts 2 rmq-namesrv and 2 rmq-broker processes, 3 producers and 5
// consumers (a clustering group of 3, a broadcasting group of 2; the real
// C++ client), each in its own network namespace (10.77.0.0/24, joined by a
// bridge in a namespace of their own). Then it applies a fault plan (the
// text of scenarios/fault_plan.h, node names as in the simulator's cluster
// scenario) with real means:
//   crash / kill   SIGKILL (kill: never restarted)     restart   the binary again, same data
//   pause / resume SIGSTOP / SIGCONT
//   partition / heal   nftables drop rules in the sender's namespace
//   loss           nftables drops that share of the packets (numgen random)
//   clog / latency the fault-injecting proxy every client-broker connection
//                  goes through (nftables DNAT) holds each chunk that long
// Other kinds (disks, clocks, power loss) need rigs rmq-chaos does not have
// yet: a plan with them is refused (exit 2). After the plan every fault ends,
// every process comes back, the producers finish, and the history every
// worker recorded goes through the simulator's checkers
// (scenarios/history.h). Exit 0: every checker passed; 1: a violation; 2:
// bad usage, missing prerequisites or a plan it cannot apply.
//
// Needs root, iproute2 and nftables; uses only its own namespaces.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "scenarios/fault_inject.h"
#include "scenarios/fault_plan.h"
#include "scenarios/history.h"
#include "tools/chaos_net.h"
#include "tools/chaos_proxy.h"
#include "tools/chaos_workload.h"

namespace {

using namespace std::chrono_literals;
using rmq::scenarios::FaultEvent;
using rmq::scenarios::FaultKind;
using rmq::scenarios::FaultPlan;
namespace h = rmq::scenarios::history;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kNamesrvs = 2, kBrokers = 2, kProducers = 3, kConsumers = 5, kClustering = 3;

int usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "rmq-chaos: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: rmq-chaos run [--seed N | --plan FILE] [--seconds S] [--bin DIR] [--work DIR]\n"
               "       rmq-chaos check --work DIR   (the checkers again, over a kept run's histories)\n"
               "  --seed N     draw kills, pauses and partitions from seed N (default 1)\n"
               "  --plan FILE  apply this fault plan instead\n"
               "  --seconds S  how long faults go on (default 120; the plan's own length with --plan)\n"
               "  --bin DIR    where rmq-namesrv and rmq-broker are (default: beside rmq-chaos)\n"
               "  --work DIR   data, logs and histories (default: a new directory under /tmp)\n");
  return 2;
}

struct Cluster {
  std::vector<rmq::chaos::NodeSpec> nodes;
  std::vector<std::string> namesrv_addrs, broker_addrs, producers, consumers, servers;
  std::map<std::string, std::string> history_of;  // worker -> its history file
};

std::string ip_of(int i) { return fmt::format("10.77.0.{}", i + 2); }

Cluster describe(const fs::path& bin, const fs::path& self, const fs::path& work, int count, int gap_ms) {
  Cluster c;
  int i = 0;
  auto add = [&](const std::string& name, std::vector<std::string> argv) {
    c.nodes.push_back({name, ip_of(i++), std::move(argv), (work / (name + ".log")).string()});
  };
  for (int n = 0; n < kNamesrvs; ++n) c.namesrv_addrs.push_back(ip_of(n) + ":9876");
  for (int b = 0; b < kBrokers; ++b) c.broker_addrs.push_back(ip_of(kNamesrvs + b) + ":10911");
  std::string namesrvs;
  for (const auto& a : c.namesrv_addrs) namesrvs += (namesrvs.empty() ? "" : ";") + a;
  std::string brokers;
  for (const auto& a : c.broker_addrs) brokers += (brokers.empty() ? "" : ";") + a;
  for (int n = 0; n < kNamesrvs; ++n) {
    add(fmt::format("namesrv{}", n), {(bin / "rmq-namesrv").string(), "--listenPort=9876",
                                      "--kvConfigPath=" + (work / fmt::format("namesrv{}-kv.json", n)).string()});
    c.servers.push_back(c.nodes.back().name);
  }
  for (int b = 0; b < kBrokers; ++b) {
    add(fmt::format("broker{}", b),
        {(bin / "rmq-broker").string(), fmt::format("--brokerName=broker-{}", static_cast<char>('a' + b)),
         "--brokerIP1=" + ip_of(kNamesrvs + b), "--namesrvAddr=" + namesrvs, "--listenPort=10911",
         "--storePathRootDir=" + (work / fmt::format("broker{}-store", b)).string()});
    c.servers.push_back(c.nodes.back().name);
  }
  for (int p = 0; p < kProducers; ++p) {
    const std::string name = fmt::format("producer{}", p), hist = (work / (name + ".history")).string();
    add(name, {self.string(), "worker", "producer", fmt::format("--id={}", p), "--namesrvs=" + namesrvs,
               "--brokers=" + brokers, "--ip=" + ip_of(i), "--history=" + hist, fmt::format("--count={}", count),
               fmt::format("--gap-ms={}", gap_ms)});
    c.producers.push_back(name);
    c.history_of[name] = hist;
  }
  for (int n = 0; n < kConsumers; ++n) {
    const std::string name = fmt::format("consumer{}", n), hist = (work / (name + ".history")).string();
    const bool bc = n >= kClustering;
    add(name, {self.string(), "worker", "consumer", fmt::format("--id={}", n), "--namesrvs=" + namesrvs,
               "--ip=" + ip_of(i), "--history=" + hist, std::string("--group=") + (bc ? "BG" : "CG"),
               std::string("--broadcasting=") + (bc ? "true" : "false")});
    c.consumers.push_back(name);
    c.history_of[name] = hist;
  }
  return c;
}

// Kills, pauses and cuts over `seconds`, from the seed's plan generator.
FaultPlan draw_plan(uint64_t seed, int seconds, const Cluster& c) {
  rmq::rt::Random r = rmq::scenarios::plan_random(seed);
  FaultPlan plan;
  const std::vector<std::string> brokers = {"broker0", "broker1"};
  auto pick = [&r](const std::vector<std::string>& v) -> const std::string& { return v[r.below(v.size())]; };
  auto ms = [&r](int64_t lo, int64_t hi) { return std::chrono::milliseconds(r.between(lo, hi)); };
  std::vector<std::string> clients = c.producers;
  clients.insert(clients.end(), c.consumers.begin(), c.consumers.end());
  for (rmq::rt::Duration t = 10s; t < std::chrono::seconds(seconds - 10); t += ms(5000, 15000)) {
    switch (r.below(5)) {
      case 4: {  // a clogged or slow client-broker link (the proxy)
        const std::string& a = pick(clients);
        const std::string& b = pick(brokers);
        if (r.chance(0.5)) {
          plan.add(t, FaultKind::clog, a, b, true).delay = ms(200, 3000);
          plan.add(t + ms(2000, 15000), FaultKind::unclog, a, b, true);
        } else {
          plan.add(t, FaultKind::latency, a, b, true).delay = ms(20, 500);
          plan.add(t + ms(2000, 15000), FaultKind::latency, a, b, true).delay = rmq::rt::Duration::zero();
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
        if (a == b) b = b == "broker0" ? "broker1" : "broker0";
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

bool is_broker(const std::string& n) { return n.rfind("broker", 0) == 0; }
bool is_client(const std::string& n) { return n.rfind("producer", 0) == 0 || n.rfind("consumer", 0) == 0; }

void apply(rmq::chaos::ChaosNet& net, rmq::chaos::ChaosProxy& proxy, const FaultEvent& e,
           std::set<std::string>& killed) {
  auto delay = [&](bool fixed, rmq::rt::Duration d) {
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    const rmq::chaos::LinkDelay ld = fixed ? rmq::chaos::LinkDelay{us, 0} : rmq::chaos::LinkDelay{0, us};
    proxy.set_delay(e.node, e.peer, ld);
    if (e.both_ways) proxy.set_delay(e.peer, e.node, ld);
  };
  auto link = [&](const std::function<void(const std::string&, const std::string&)>& fn) {
    fn(e.node, e.peer);
    if (e.both_ways) fn(e.peer, e.node);
  };
  switch (e.kind) {
    case FaultKind::crash: net.kill(e.node); break;
    case FaultKind::kill:
      killed.insert(e.node);
      net.kill(e.node);
      break;
    case FaultKind::restart:
      if (!killed.count(e.node)) net.start(e.node);
      break;
    case FaultKind::pause: net.pause(e.node); break;
    case FaultKind::resume: net.resume(e.node); break;
    case FaultKind::partition: link([&](const std::string& a, const std::string& b) { net.partition(a, b); }); break;
    case FaultKind::heal: link([&](const std::string& a, const std::string& b) { net.heal(a, b); }); break;
    case FaultKind::loss:
      link([&](const std::string& a, const std::string& b) { net.set_loss(a, b, e.rate); });
      break;
    case FaultKind::clog: delay(true, e.delay); break;
    case FaultKind::unclog: delay(true, rmq::rt::Duration::zero()); break;
    case FaultKind::latency: delay(false, e.delay); break;
    default: break;  // refused before the run
  }
  std::printf("  %6.1fs %s\n", std::chrono::duration<double>(e.at).count(), rmq::scenarios::to_string(e).c_str());
  std::fflush(stdout);
}

std::set<std::string> keys_of(const h::History& hist, const std::string& receiver) {
  std::set<std::string> out;
  for (const auto& d : hist.deliveries)
    if (d.group == receiver || d.consumer == receiver) out.insert(d.key);
  return out;
}

// Reads the workers' histories in `work` (and its "times": when the faults
// ended, when recording stopped) and runs every checker; prints the
// summary and appends the violations to `failures`.
void check_histories(const fs::path& work, std::vector<std::string>& failures) {
  h::History hist;
  int bad_lines = 0;
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(work))
    if (entry.path().extension() == ".history") paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  rmq::chaos::read_histories(paths, hist, bad_lines);
  h::Group cg{.kind = h::GroupKind::clustering, .topics = {rmq::chaos::kChaosTopic}};
  h::Group bg{.kind = h::GroupKind::broadcasting, .topics = {rmq::chaos::kChaosTopic}};
  for (int n = 0; n < kConsumers; ++n)
    (n < kClustering ? cg : bg).members.insert(fmt::format("{}@c{}", ip_of(kNamesrvs + kBrokers + kProducers + n), n));
  hist.groups["CG"] = cg;
  hist.groups["BG"] = bg;
  std::ifstream times(work / "times");
  for (std::string what; times >> what;) {
    int64_t t = 0;
    times >> t;
    if (what == "healed") hist.healed_at = rmq::rt::Instant(rmq::rt::Duration(t));
    if (what == "end") hist.end = rmq::rt::Instant(rmq::rt::Duration(t));
  }
  if (hist.end == rmq::rt::Instant{}) {  // no times: up to the last record
    for (const auto& d : hist.deliveries) hist.end = std::max(hist.end, d.at);
    for (const auto& snd : hist.sends) hist.end = std::max(hist.end, snd.completed);
  }
  const h::Summary sum = h::check_all(hist);
  for (const auto& v : sum.violations)
    if (failures.size() < 20) failures.push_back(h::to_string(v.kind) + ": " + v.description);
  int64_t acked = 0;
  for (const auto& snd : hist.sends) acked += snd.outcome == h::SendOutcome::acked ? 1 : 0;
  std::printf("sends=%zu acked=%lld deliveries=%zu unreadable_lines=%d (a killed worker's torn last line)\n",
              hist.sends.size(), static_cast<long long>(acked), hist.deliveries.size(), bad_lines);
  for (const auto& line : sum.lines()) std::printf("  %s\n", line.c_str());
  if (acked == 0) failures.push_back("no send was acknowledged: the cluster never worked");
}

// `rmq-chaos check --work DIR`: the checkers over a kept run's histories.
int check(const std::vector<std::string>& args) {
  if (args.size() != 2 || args[0] != "--work") return usage("check takes --work DIR");
  if (!fs::is_directory(args[1])) return usage("no directory '" + args[1] + "'");
  std::vector<std::string> failures;
  check_histories(args[1], failures);
  for (const auto& f : failures) std::printf("  failure: %s\n", f.c_str());
  std::printf("%s\n%d passed, %d failed\n", failures.empty() ? "result: ok" : "result: FAILED", failures.empty() ? 1 : 0,
              failures.empty() ? 0 : 1);
  return failures.empty() ? 0 : 1;
}

int run(const std::vector<std::string>& args, const fs::path& self) {
  uint64_t seed = 1;
  int seconds = 120;
  std::string plan_path, work_arg;
  fs::path bin = self.parent_path();
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (args[i] == "--seed" && value(v)) {
      seed = std::strtoull(v.c_str(), nullptr, 10);
    } else if (args[i] == "--seconds" && value(v)) {
      seconds = std::atoi(v.c_str());
      if (seconds < 20 || seconds > 86400) return usage("--seconds wants 20..86400");
    } else if (args[i] == "--plan" && value(plan_path)) {
    } else if (args[i] == "--bin" && value(v)) {
      bin = v;
    } else if (args[i] == "--work" && value(work_arg)) {
    } else {
      return usage("bad argument '" + args[i] + "'");
    }
  }
  for (const char* b : {"rmq-namesrv", "rmq-broker"})
    if (!fs::exists(bin / b)) return usage(fmt::format("no {} in {} (--bin DIR)", b, bin.string()));
  const fs::path work = work_arg.empty() ? fs::path(fmt::format("/tmp/rmq-chaos-{}", ::getpid())) : fs::path(work_arg);
  FaultPlan plan;
  if (!plan_path.empty()) {
    std::ifstream in(plan_path);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = rmq::scenarios::parse_fault_plan(text.str());
    if (!in || !parsed) return usage(in ? plan_path + ": " + parsed.error().detail() : "cannot read " + plan_path);
    plan = std::move(*parsed);
    seconds = 20;
    for (const auto& e : plan.events) seconds = std::max(seconds, static_cast<int>(e.at / 1s) + 10);
  }
  const int count = 10 * seconds;  // sends for about as long as the faults (gaps of 1-200 ms, 100 on average)
  Cluster c = describe(bin, self, work, count, 200);
  if (plan_path.empty()) plan = draw_plan(seed, seconds, c);
  std::stable_sort(plan.events.begin(), plan.events.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  std::set<std::string> names;
  for (const auto& n : c.nodes) names.insert(n.name);
  static const std::set<FaultKind> kApplied = {FaultKind::crash,  FaultKind::kill,      FaultKind::restart,
                                               FaultKind::pause,  FaultKind::resume,    FaultKind::partition,
                                               FaultKind::heal,   FaultKind::loss,   FaultKind::clog,
                                               FaultKind::unclog, FaultKind::latency};
  for (const auto& e : plan.events) {
    if (!kApplied.count(e.kind))
      return usage(fmt::format("'{}': rmq-chaos applies crash, kill, restart, pause, resume, partition, heal, loss, clog, unclog "
                               "and latency; {} needs a disk or clock rig it does not have yet",
                               rmq::scenarios::to_string(e), rmq::scenarios::to_string(e.kind)));
    if (!names.count(e.node) || (rmq::scenarios::is_link_fault(e.kind) && !names.count(e.peer)))
      return usage(fmt::format("'{}': no such node", rmq::scenarios::to_string(e)));
    const bool delays = e.kind == FaultKind::clog || e.kind == FaultKind::unclog || e.kind == FaultKind::latency;
    if (delays && !((is_client(e.node) && is_broker(e.peer)) || (is_broker(e.node) && is_client(e.peer))))
      return usage(fmt::format("'{}': the proxy delays client-broker links only", rmq::scenarios::to_string(e)));
  }

  if (auto missing = rmq::chaos::ChaosNet::missing_prerequisites(); !missing.empty()) return usage(missing);
  fs::create_directories(work);
  rmq::chaos::ChaosNet net;
  std::string error;
  if (!net.setup(c.nodes, error)) return usage("setting up the namespaces: " + error);
  // Every client-broker connection through the proxy (clogs and latency).
  std::vector<rmq::chaos::ProxyLink> links;
  for (const auto& n : c.nodes) {
    if (!is_client(n.name)) continue;
    for (int b = 0; b < kBrokers; ++b) {
      const auto port = static_cast<uint16_t>(20000 + links.size());
      const std::string broker = fmt::format("broker{}", b);
      links.push_back({n.name, broker, port, c.broker_addrs[static_cast<size_t>(b)]});
      if (!net.redirect(n.name, broker, 10911, port)) return usage("cannot redirect " + n.name + " to the proxy");
    }
  }
  rmq::chaos::ChaosProxy proxy;
  if (!proxy.start(rmq::chaos::ChaosNet::kHubNetns, rmq::chaos::ChaosNet::kHubIp, links, error))
    return usage("the proxy: " + error);
  std::printf("rmq-chaos: %zu nodes in namespaces rmqc-*, %zu proxied links, work directory %s\n", c.nodes.size(),
              links.size(), work.c_str());
  for (const auto& s : c.servers) net.start(s);
  std::this_thread::sleep_for(3s);  // the namesrvs and brokers listen and register
  for (const auto& s : c.servers)
    if (!net.running(s)) return usage(fmt::format("{} exited at start (see {}/{}.log)", s, work.string(), s));
  for (const auto& w : c.consumers) net.start(w);
  for (const auto& w : c.producers) net.start(w);
  const auto t0 = Clock::now();
  std::printf("plan: %zu events over %d s\n", plan.events.size(), seconds);
  std::set<std::string> killed;
  for (const auto& e : plan.events) {
    std::this_thread::sleep_until(t0 + e.at);
    apply(net, proxy, e, killed);
  }
  std::this_thread::sleep_until(t0 + std::chrono::seconds(seconds));
  // Faults over: links healed, everything running again.
  net.heal_all();
  proxy.clear_delays();
  for (const auto& n : c.nodes) {
    net.resume(n.name);
    const bool finished_producer =
        std::find(c.producers.begin(), c.producers.end(), n.name) != c.producers.end() && net.exit_status(n.name) == 0;
    if (!killed.count(n.name) && !finished_producer && !net.running(n.name)) net.start(n.name);
  }
  const auto healed = Clock::now();
  std::printf("faults over at %.0f s; waiting for the producers\n", std::chrono::duration<double>(healed - t0).count());
  std::vector<std::string> failures;
  const bool produced = wait_until([&] {
    for (const auto& p : c.producers)
      if (net.running(p)) return false;
    return true;
  }, 300s);
  if (!produced) failures.push_back("the producers did not finish within 5 minutes of the heal");
  std::vector<std::string> paths;
  for (const auto& [w, p] : c.history_of) paths.push_back(p);
  // Until every acknowledged message reached the clustering group and each
  // broadcasting member (or 3 minutes).
  wait_until([&] {
    h::History hist;
    int bad = 0;
    rmq::chaos::read_histories(paths, hist, bad);
    std::set<std::string> acked;
    for (const auto& s : hist.sends)
      if (s.outcome == h::SendOutcome::acked) acked.insert(s.key);
    std::vector<std::string> receivers = {"CG"};
    for (int n = kClustering; n < kConsumers; ++n) receivers.push_back(fmt::format("{}@c{}", ip_of(kNamesrvs + kBrokers + kProducers + n), n));
    for (const auto& r : receivers) {
      const auto got = keys_of(hist, r);
      if (!std::includes(got.begin(), got.end(), acked.begin(), acked.end())) return false;
    }
    return true;
  }, 180s);
  std::this_thread::sleep_for(3s);  // late duplicates show up too
  for (const auto& w : c.consumers) {
    if (!net.running(w)) continue;
    net.kill(w);  // what they consumed is on disk, line by line
  }
  const auto end = Clock::now();
  net.shutdown();

  const auto ns = [](Clock::time_point t) { return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(); };
  {
    std::ofstream times(work / "times");
    times << "healed " << ns(healed) << "\nend " << ns(end) << "\n";
  }
  check_histories(work, failures);
  if (failures.empty() && work_arg.empty()) {
    std::error_code ignored;
    fs::remove_all(work, ignored);  // nothing to look at
    std::printf("result: ok\n");
  } else {
    std::printf("%s (logs and histories in %s)\n", failures.empty() ? "result: ok" : "result: FAILED", work.c_str());
  }
  std::printf("%d passed, %d failed\n", failures.empty() ? 1 : 0, failures.empty() ? 0 : 1);
  return failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const fs::path self = fs::canonical("/proc/self/exe");
  if (!args.empty() && args[0] == "worker") {
    rmq::chaos::WorkerArgs a;
    if (auto bad = rmq::chaos::parse_worker_args({args.begin() + 1, args.end()}, a); !bad.empty()) return usage(bad);
    return rmq::chaos::run_worker(a);
  }
  if (!args.empty() && args[0] == "check") return check({args.begin() + 1, args.end()});
  if (args.empty() || args[0] != "run") return usage(args.empty() ? "" : "unknown command '" + args[0] + "'");
  return run({args.begin() + 1, args.end()}, self);
}
