#include "scenarios/plan_file.h"

#include <fmt/format.h>

#include <cstdlib>
#include <sstream>

namespace rmq::scenarios {

namespace {

std::optional<std::string> header_value(const std::string& line, const std::string& key) {
  const std::string prefix = "# " + key + ":";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  std::string v = line.substr(prefix.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(v.begin());
  while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.pop_back();
  return v;
}

}  // namespace

bool parse_u64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19) return false;
  out = std::strtoull(s.c_str(), nullptr, 10);
  return true;
}

std::optional<double> parse_workload(const std::string& s) {
  char* end = nullptr;
  const double w = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(w > 0) || w > 1) return std::nullopt;
  return w;
}

std::optional<PlanFile> parse_plan_file(const std::string& name, const std::string& text, std::string& error) {
  if (text.size() > kPlanFileBytesMax) {
    error = fmt::format("plan file '{}' is larger than {} bytes", name, kPlanFileBytesMax);
    return std::nullopt;
  }
  auto plan = parse_fault_plan(text);
  if (!plan) {
    error = name + ": " + plan.error().detail();
    return std::nullopt;
  }
  PlanFile out{std::move(*plan), {}, {}, {}, {}, {}};
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (auto v = header_value(line, "scenario")) out.scenario = *v;
    if (auto v = header_value(line, "seed")) {
      uint64_t seed = 0;
      if (!parse_u64(*v, seed)) {
        error = fmt::format("{}: bad '# seed:' header '{}'", name, *v);
        return std::nullopt;
      }
      out.seed = seed;
    }
    if (auto v = header_value(line, "perturb")) {
      if (*v != "on" && *v != "off") {
        error = fmt::format("{}: bad '# perturb:' header '{}' (on or off)", name, *v);
        return std::nullopt;
      }
      out.perturb = *v == "on";
    }
    if (auto v = header_value(line, "workload")) {
      out.workload = parse_workload(*v);
      if (!out.workload) {
        error = fmt::format("{}: bad '# workload:' header '{}' (want 0 < w <= 1)", name, *v);
        return std::nullopt;
      }
    }
    if (auto v = header_value(line, "nodes")) {
      out.nodes = parse_workload(*v);
      if (!out.nodes) {
        error = fmt::format("{}: bad '# nodes:' header '{}' (want 0 < n <= 1)", name, *v);
        return std::nullopt;
      }
    }
  }
  return out;
}

std::string plan_file_text(const std::string& scenario, uint64_t seed, const FaultPlan& plan, double workload,
                           double nodes, bool perturbed, const std::vector<std::string>& comments) {
  std::string out = fmt::format("# scenario: {}\n# seed: {}\n# perturb: {}\n", scenario, seed, perturbed ? "on" : "off");
  if (workload != 1.0) out += fmt::format("# workload: {}\n", workload);
  if (nodes != 1.0) out += fmt::format("# nodes: {}\n", nodes);
  for (const auto& c : comments) out += "# " + c + "\n";
  return out + to_string(plan);
}

}  // namespace rmq::scenarios
