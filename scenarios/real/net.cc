#include "scenarios/real/net.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace rmq::chaos {

namespace {

constexpr const char* kHub = "rmqc-hub";
constexpr const char* kBridge = "rmqc-br";

std::string ns_of(const std::string& node) { return "rmqc-" + node; }

// Forks and execs argv with stdout/stderr to `log` (or /dev/null).
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log.empty() ? "/dev/null" : log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  setpgid(0, 0);  // its own group: a signal to the runner does not reach it
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // but the runner's death (a CI timeout, say) does
  execvp(args[0], args.data());
  _exit(127);
}

bool has_command(const char* name) {
  return run_command({"sh", "-c", std::string("command -v ") + name + " >/dev/null 2>&1"}) == 0;
}

}  // namespace

int run_command(const std::vector<std::string>& argv, bool quiet) {
  const pid_t pid = spawn(argv, quiet ? "" : "/dev/stderr");
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ChaosNet::missing_prerequisites() {
  if (geteuid() != 0) return "rmq-chaos needs root (network namespaces and nftables)";
  if (!has_command("ip")) return "rmq-chaos needs iproute2's 'ip' (apt-get install iproute2)";
  if (!has_command("nft")) return "rmq-chaos needs 'nft' (apt-get install nftables)";
  return "";
}

void ChaosNet::lock_machine() {
  const int fd = open(kMachineLock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);  // kept open: the lock lives with it
  if (fd < 0) {
    std::printf("rmq-chaos: cannot open %s; running without the one-run-per-machine lock\n", kMachineLock);
    return;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return;
  std::printf("rmq-chaos: another run holds the namespaces (%s); waiting for it\n", kMachineLock);
  std::fflush(stdout);
  while (flock(fd, LOCK_EX) != 0) {
  }
}

bool ChaosNet::setup(const std::vector<NodeSpec>& nodes, std::string& error) {
  shutdown();  // what an earlier run may have left
  made_ = true;
  auto must = [&](const std::vector<std::string>& argv) {
    if (run_command(argv) == 0) return true;
    error = "command failed:";
    for (const auto& a : argv) error += " " + a;
    return false;
  };
  if (!must({"ip", "netns", "add", kHub}) ||
      !must({"ip", "netns", "exec", kHub, "ip", "link", "add", kBridge, "type", "bridge"}) ||
      !must({"ip", "netns", "exec", kHub, "ip", "link", "set", kBridge, "up"}) ||
      !must({"ip", "netns", "exec", kHub, "ip", "addr", "add", std::string(kHubIp) + "/24", "dev", kBridge}) ||
      !must({"ip", "netns", "exec", kHub, "ip", "link", "set", "lo", "up"}))
    return false;
  int i = 0;
  for (const auto& n : nodes) {
    specs_[n.name] = n;
    const std::string ns = ns_of(n.name), outer = "rmqc-v" + std::to_string(i) + "h",
                      inner = "rmqc-v" + std::to_string(i) + "n";
    ++i;
    if (!must({"ip", "netns", "add", ns}) ||
        !must({"ip", "link", "add", outer, "netns", kHub, "type", "veth", "peer", "name", inner, "netns", ns}) ||
        !must({"ip", "netns", "exec", kHub, "ip", "link", "set", outer, "master", kBridge}) ||
        !must({"ip", "netns", "exec", kHub, "ip", "link", "set", outer, "up"}) ||
        !must({"ip", "netns", "exec", ns, "ip", "addr", "add", n.ip + "/24", "dev", inner}) ||
        !must({"ip", "netns", "exec", ns, "ip", "link", "set", inner, "up"}) ||
        !must({"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"}) ||
        !must({"ip", "netns", "exec", ns, "nft", "add", "table", "inet", "rmqchaos"}) ||
        // Drops by destination before any NAT (priority -200), drops by
        // source after it: a reply through the proxy gets its peer's
        // address back at the input hook's NAT (priority 100), so the drop
        // comes at 200 (at 0 it saw the hub's address and never matched),
        // and the proxy's redirections.
        !must({"ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "rmqchaos", "out",
               "{ type filter hook output priority -200 ; }"}) ||
        !must({"ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "rmqchaos", "in",
               "{ type filter hook input priority 200 ; }"}) ||
        !must({"ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "rmqchaos", "nat",
               "{ type nat hook output priority -100 ; }"}))
      return false;
  }
  return true;
}

void ChaosNet::shutdown() {
  for (auto& [node, pid] : pids_) {
    ::kill(pid, SIGKILL);
    ::kill(pid, SIGCONT);
    waitpid(pid, nullptr, 0);
  }
  pids_.clear();
  paused_.clear();
  // Every rmqc-* namespace, this run's or an earlier one's.
  run_command({"sh", "-c", "for n in $(ip netns list | awk '{print $1}' | grep '^rmqc-'); do ip netns del $n; done"});
  made_ = false;
}

bool ChaosNet::start(const std::string& node) {
  if (running(node)) return true;
  const NodeSpec& s = specs_.at(node);
  std::vector<std::string> argv = {"ip", "netns", "exec", ns_of(node)};
  argv.insert(argv.end(), s.argv.begin(), s.argv.end());
  const pid_t pid = spawn(argv, s.log_path);  // `ip netns exec` execs the node's binary: the same pid
  if (pid < 0) return false;
  pids_[node] = pid;
  exit_status_.erase(node);
  return true;
}

bool ChaosNet::running(const std::string& node) {
  auto it = pids_.find(node);
  if (it == pids_.end()) return false;
  int status = 0;
  if (waitpid(it->second, &status, WNOHANG) == it->second) {
    exit_status_[node] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pids_.erase(it);
    paused_.erase(node);
    return false;
  }
  return true;
}

int ChaosNet::exit_status(const std::string& node) const {
  auto it = exit_status_.find(node);
  return it == exit_status_.end() ? -1 : it->second;
}

void ChaosNet::kill(const std::string& node) {
  auto it = pids_.find(node);
  if (it == pids_.end()) return;
  ::kill(it->second, SIGKILL);
  ::kill(it->second, SIGCONT);  // a stopped process dies at once too
  int status = 0;
  waitpid(it->second, &status, 0);
  exit_status_[node] = 128 + SIGKILL;
  pids_.erase(it);
  paused_.erase(node);
}

void ChaosNet::pause(const std::string& node) {
  auto it = pids_.find(node);
  if (it == pids_.end() || paused_.count(node)) return;
  ::kill(it->second, SIGSTOP);
  paused_.insert(node);
}

void ChaosNet::resume(const std::string& node) {
  auto it = pids_.find(node);
  if (it == pids_.end() || !paused_.count(node)) return;
  ::kill(it->second, SIGCONT);
  paused_.erase(node);
}

void ChaosNet::apply_rules(const std::string& node) {
  const std::string ns = ns_of(node);
  auto nft = [&](std::vector<std::string> rule) {
    std::vector<std::string> argv = {"ip", "netns", "exec", ns, "nft"};
    argv.insert(argv.end(), rule.begin(), rule.end());
    if (run_command(argv) != 0) std::fprintf(stderr, "rmq-chaos: nft failed in %s\n", ns.c_str());
  };
  nft({"flush", "chain", "inet", "rmqchaos", "out"});
  nft({"flush", "chain", "inet", "rmqchaos", "in"});
  // A link's packets are dropped where their addresses are the nodes':
  // at the sender by destination, unless they are replies through the
  // proxy, which only the connecting node sees with its peer's address.
  auto rule = [&](const std::string& from, const std::string& to, std::vector<std::string> tail) {
    const bool at_receiver = proxied_.count({to, from}) != 0;
    if ((at_receiver ? to : from) != node) return;
    std::vector<std::string> r = {"add", "rule", "inet", "rmqchaos", at_receiver ? "in" : "out", "ip",
                                  at_receiver ? "saddr" : "daddr", specs_.at(at_receiver ? from : to).ip};
    r.insert(r.end(), tail.begin(), tail.end());
    nft(r);
  };
  for (const auto& [from, to] : blocked_) rule(from, to, {"drop"});
  for (const auto& [link, rate] : loss_)
    rule(link.first, link.second,
         {"numgen", "random", "mod", "1000000", "<", std::to_string(static_cast<int64_t>(rate * 1e6)), "drop"});
}

bool ChaosNet::redirect(const std::string& from, const std::string& to, uint16_t to_port, uint16_t proxy_port) {
  proxied_.insert({from, to});
  return run_command({"ip", "netns", "exec", ns_of(from), "nft", "add", "rule", "inet", "rmqchaos", "nat", "ip",
                      "daddr", specs_.at(to).ip, "tcp", "dport", std::to_string(to_port), "dnat", "ip", "to",
                      std::string(kHubIp) + ":" + std::to_string(proxy_port)}) == 0;
}

void ChaosNet::set_loss(const std::string& from, const std::string& to, double rate) {
  if (rate <= 0) {
    if (loss_.erase({from, to}) == 0) return;
  } else {
    loss_[{from, to}] = rate;
  }
  apply_rules(from);
  apply_rules(to);
}

void ChaosNet::partition(const std::string& from, const std::string& to) {
  if (!blocked_.insert({from, to}).second) return;
  apply_rules(from);
  apply_rules(to);
}

void ChaosNet::heal(const std::string& from, const std::string& to) {
  if (!blocked_.erase({from, to})) return;
  apply_rules(from);
  apply_rules(to);
}

void ChaosNet::heal_all() {
  std::set<std::string> touched;
  for (const auto& [from, to] : blocked_) {
    touched.insert(from);
    touched.insert(to);
  }
  for (const auto& [link, rate] : loss_) {
    touched.insert(link.first);
    touched.insert(link.second);
  }
  blocked_.clear();
  loss_.clear();
  for (const auto& n : touched) apply_rules(n);
}

}  // namespace rmq::chaos
