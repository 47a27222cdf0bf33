// Where two runs of one seed part: for `rmq-sim run --twice`, when the
// trace hashes differ.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios/scenario.h"

namespace rmq::scenarios {

// Runs the seed twice more, recording every simulator event's trace line
// (time, node, kind and the hash so far), and describes the first event at
// which the two differ, with both sides' text and the last common event.
// Says so when the two runs agree (the difference did not recur).
std::string first_divergence(const Scenario& s, uint64_t seed, const RunOptions& o);

}  // namespace rmq::scenarios
