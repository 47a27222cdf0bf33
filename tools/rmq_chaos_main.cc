// rmq-chaos: a simulated scenario's cluster as real processes, under the
// same fault plans (scenarios/real/runner.h says what it applies and how).
//
//   rmq-chaos run [--scenario S] [--seed N | --plan FILE] [--seconds S] [--bin DIR] [--work DIR]
//                 [--drop-unsupported]
//   rmq-chaos check --work DIR
//   rmq-chaos shape --scenario S [--seed N]
//
// Needs root, iproute2 and nftables; uses only its own namespaces (rmqc-*,
// 10.77.0.0/24). Exit 0: every checker passed; 1: a violation; 2: bad
// usage, missing prerequisites or a plan it cannot apply.
#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/real/runner.h"
#include "scenarios/real/workload.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::filesystem::path self = std::filesystem::canonical("/proc/self/exe");
  const std::string cmd = args.empty() ? "" : args[0];
  const std::vector<std::string> rest = args.empty() ? args : std::vector<std::string>(args.begin() + 1, args.end());
  if (cmd == "worker") {
    rmq::chaos::WorkerArgs a;
    if (auto bad = rmq::chaos::parse_worker_args(rest, a); !bad.empty()) return rmq::chaos::usage(bad);
    return rmq::chaos::run_worker(a);
  }
  if (cmd == "check") return rmq::chaos::check_command_line(rest);
  if (cmd == "shape") return rmq::chaos::shape_command_line(rest);
  if (cmd == "run") return rmq::chaos::run_command_line(rest, self);
  return rmq::chaos::usage(cmd.empty() ? "" : "unknown command '" + cmd + "'");
}
