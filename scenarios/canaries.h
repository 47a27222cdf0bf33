// Which scenario catches each canary (common/canary.h), and within how many
// seeds: the contract scripts/canaries.sh checks in a canary build.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/canary.h"

namespace rmq::scenarios {

struct CanaryCheck {
  common::Canary canary;
  std::string_view scenario;
  uint64_t seeds;  // the scenario must fail on one of seeds 1..seeds
};

// One row per canary, in common::kCanaries order.
const std::vector<CanaryCheck>& canary_checks();

}  // namespace rmq::scenarios
