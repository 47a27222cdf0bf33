#include "scenarios/scenario.h"

namespace rmq::scenarios {

const std::vector<Scenario>& all_scenarios() {
  static const std::vector<Scenario> kAll = {
      {"ping",
       "echo pings stay intact and journal records survive what their acknowledgement promised, "
       "under crashes, power loss, partitions, clogs, resets and slow disks",
       run_ping},
  };
  return kAll;
}

const Scenario* find_scenario(const std::string& name) {
  for (const auto& s : all_scenarios())
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace rmq::scenarios
