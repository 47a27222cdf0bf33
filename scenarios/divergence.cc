#include "scenarios/divergence.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

namespace rmq::scenarios {

std::string first_divergence(const Scenario& s, uint64_t seed, const RunOptions& o) {
  std::vector<std::string> first;
  RunOptions a = o;
  a.verbose = false;
  a.trace = false;
  a.tracer = [&first](const std::string& line) { first.push_back(line); };
  s.run(seed, a);
  size_t index = 0;  // events alike so far
  std::optional<std::string> differs;
  RunOptions b = a;
  b.tracer = [&](const std::string& line) {
    if (differs) return;
    if (index < first.size() && first[index] == line) {
      ++index;
      return;
    }
    differs = line;
  };
  s.run(seed, b);
  if (!differs && index == first.size())
    return fmt::format("runs 3 and 4 agreed on all {} events: the difference did not recur", first.size());
  std::string out = fmt::format("the traces part at event {}", index + 1);
  if (index > 0) out += fmt::format("; last common event: [{}]", first[index - 1]);
  out += fmt::format("; one run: [{}]; the other: [{}]", index < first.size() ? first[index] : "(no more events)",
                     differs ? *differs : "(no more events)");
  return out + " (each line's hash covers every event before it)";
}

}  // namespace rmq::scenarios
