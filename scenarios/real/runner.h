// rmq-chaos's driver: a simulated scenario's cluster (scenarios/real/shape.h)
// as real rmq-namesrv, rmq-broker and client processes, each in a network
// namespace of its own, under a fault plan applied with real means:
//   crash / kill   SIGKILL (kill: never restarted)     restart   the binary again, same data
//   pause / resume SIGSTOP / SIGCONT
//   partition / heal   nftables drop rules in the sender's namespace
//   loss           nftables drops that share of the packets (numgen random)
//   clog / latency the fault-injecting proxy every connection between nodes
//                  goes through (nftables DNAT) holds each chunk that long
//   reset          the proxy resets a link's connections (faults.h)
//   disk_full / disk_free   a ballast file fills the broker's own tmpfs
// Power loss, slow disks, fsync stalls, read corruption and clocks need
// rigs it does not have (a VM, a device mapper, a time namespace): a plan
// with them is refused (exit 2), or with --drop-unsupported run without
// them, the dropped events listed. After the plan every fault ends, every
// process not killed for good comes back, the producers finish, and the
// history every worker recorded goes through the simulator's checkers
// (scenarios/history.h).
//
// The only part of scenarios/ that touches processes, threads and clocks.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rmq::chaos {

// `rmq-chaos run ...` (args after "run"); `self` is rmq-chaos's own path
// (workers are rmq-chaos again). Exit status: 0 every checker passed, 1 a
// violation, 2 bad usage, missing prerequisites or a plan it cannot apply.
int run_command_line(const std::vector<std::string>& args, const std::filesystem::path& self);
// `rmq-chaos check --work DIR`: the checkers again over a kept run.
int check_command_line(const std::vector<std::string>& args);
// `rmq-chaos shape --scenario S [--seed N]`: the processes a run starts.
int shape_command_line(const std::vector<std::string>& args);

int usage(const std::string& why);

}  // namespace rmq::chaos
