// A plan file: a fault plan (scenarios/fault_plan.h) with header comments
// that say how to replay it:
//
//   # scenario: broker-power-loss
//   # seed: 20
//   # perturb: off          (optional: on or off; else the seed decides)
//   # workload: 0.5         (optional: 0 < w <= 1)
//   # nodes: 0.5            (optional: 0 < n <= 1, RunOptions::nodes)
//   12500ms power_loss broker
//
// rmq-sim writes and reads them; rmq-chaos reads them to start the same
// scenario's cluster as real processes. Pure text in, text out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/fault_plan.h"

namespace rmq::scenarios {

inline constexpr size_t kPlanFileBytesMax = 8 << 20;

struct PlanFile {
  FaultPlan plan;
  std::string scenario;  // from "# scenario: S", or empty
  std::optional<uint64_t> seed;
  std::optional<double> workload;  // from "# workload: W"
  std::optional<bool> perturb;     // from "# perturb: on|off"
  std::optional<double> nodes;     // from "# nodes: N"
};

// Parses a plan file's text; on failure nullopt and `error` says what and
// where (`name` is the file's name in the message).
std::optional<PlanFile> parse_plan_file(const std::string& name, const std::string& text, std::string& error);

// The text of a plan file for (scenario, seed); `comments` become header
// lines too. The perturbation is always pinned: a later version might draw
// it differently for the seed.
std::string plan_file_text(const std::string& scenario, uint64_t seed, const FaultPlan& plan, double workload,
                           double nodes, bool perturbed, const std::vector<std::string>& comments);

// A decimal seed or count (at most 19 digits).
bool parse_u64(const std::string& s, uint64_t& out);
// A workload or node scale in (0, 1].
std::optional<double> parse_workload(const std::string& s);

}  // namespace rmq::scenarios
