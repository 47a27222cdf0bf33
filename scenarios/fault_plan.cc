// The text form of fault plans (see fault_plan.h).
#include "scenarios/fault_plan.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace rmq::scenarios {

namespace {

using namespace std::chrono_literals;

constexpr std::array<std::pair<FaultKind, std::string_view>, kFaultKindCount> kKinds = {{
    {FaultKind::crash, "crash"},
    {FaultKind::restart, "restart"},
    {FaultKind::power_loss, "power_loss"},
    {FaultKind::kill, "kill"},
    {FaultKind::pause, "pause"},
    {FaultKind::resume, "resume"},
    {FaultKind::partition, "partition"},
    {FaultKind::heal, "heal"},
    {FaultKind::reset, "reset"},
    {FaultKind::clog, "clog"},
    {FaultKind::unclog, "unclog"},
    {FaultKind::latency, "latency"},
    {FaultKind::loss, "loss"},
    {FaultKind::slow_disk, "slow_disk"},
    {FaultKind::fsync_stall, "fsync_stall"},
    {FaultKind::disk_full, "disk_full"},
    {FaultKind::disk_free, "disk_free"},
    {FaultKind::read_corruption, "read_corruption"},
    {FaultKind::clock_jump, "clock_jump"},
    {FaultKind::clock_drift, "clock_drift"},
}};

constexpr rt::Duration kDurationMax = 1000 * 24h;
constexpr double kPpmMax = 1e6;

// Which key=value words a kind carries: `required` always, `optional`
// (with its default) only when it differs from the default.
enum class Param { none, delay, by, rate, ppm };
struct Params {
  Param required = Param::none;
  Param optional = Param::none;
};

Params params_of(FaultKind k) {
  switch (k) {
    case FaultKind::clog:
    case FaultKind::latency: return {Param::delay};
    case FaultKind::slow_disk:
    case FaultKind::fsync_stall: return {Param::delay, Param::rate};
    case FaultKind::clock_jump: return {Param::by};
    case FaultKind::loss:
    case FaultKind::read_corruption: return {Param::rate};
    case FaultKind::clock_drift: return {Param::ppm};
    default: return {};
  }
}

std::string_view param_name(Param p) {
  switch (p) {
    case Param::delay: return "delay";
    case Param::by: return "by";
    case Param::rate: return "rate";
    case Param::ppm: return "ppm";
    case Param::none: break;
  }
  return "";
}

// " key=value" of one parameter, or "" for none.
std::string param_text(Param p, const FaultEvent& e);

// The largest unit that holds the value exactly.
std::string duration_text(rt::Duration d) {
  const int64_t ns = d.count();
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

// Shortest text that reads back as the same double.
std::string double_text(double v) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  RMQ_ASSERT(ec == std::errc());
  return std::string(buf.data(), end);
}

std::optional<rt::Duration> parse_duration(std::string_view s) {
  struct Unit {
    std::string_view suffix;
    int64_t ns;
  };
  // "ms" and "us"/"ns" before "s".
  static constexpr std::array<Unit, 4> kUnits = {{{"ms", 1'000'000}, {"us", 1'000}, {"ns", 1}, {"s", 1'000'000'000}}};
  for (const Unit& u : kUnits) {
    if (s.size() <= u.suffix.size() || s.substr(s.size() - u.suffix.size()) != u.suffix) continue;
    const std::string_view digits = s.substr(0, s.size() - u.suffix.size());
    int64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    const int64_t limit = kDurationMax.count() / u.ns;
    if (n > limit || n < -limit) return std::nullopt;
    return rt::Duration(n * u.ns);
  }
  return std::nullopt;
}

std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool valid_node_name(std::string_view s) {
  if (s.empty() || s.size() > kFaultNodeNameBytesMax) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::optional<std::string> parse_param(Param p, std::string_view value, FaultEvent& e) {
  switch (p) {
    case Param::delay: {
      auto d = parse_duration(value);
      if (!d || *d < rt::Duration::zero()) return fmt::format("bad delay '{}'", value);
      e.delay = *d;
      break;
    }
    case Param::by: {
      auto d = parse_duration(value);
      if (!d) return fmt::format("bad clock jump '{}'", value);
      e.by = *d;
      break;
    }
    case Param::rate: {
      auto r = parse_double(value);
      if (!r || *r < 0 || *r > 1) return fmt::format("bad rate '{}' (0 to 1)", value);
      e.rate = *r;
      break;
    }
    case Param::ppm: {
      auto v = parse_double(value);
      if (!v || std::fabs(*v) > kPpmMax) return fmt::format("bad ppm '{}'", value);
      e.ppm = *v;
      break;
    }
    case Param::none: break;
  }
  return std::nullopt;
}

std::string param_text(Param p, const FaultEvent& e) {
  switch (p) {
    case Param::delay: return " delay=" + duration_text(e.delay);
    case Param::by: return " by=" + duration_text(e.by);
    case Param::rate: return " rate=" + double_text(e.rate);
    case Param::ppm: return " ppm=" + double_text(e.ppm);
    case Param::none: break;
  }
  return "";
}

// Parses one event line (comment and surrounding blanks removed); the error
// text says what is wrong, without the line number.
std::optional<std::string> parse_event(std::string_view line, FaultEvent& e) {
  const auto words = split_words(line);
  if (words.size() < 3) return "expected '<time> <kind> <node> ...'";
  auto at = parse_duration(words[0]);
  if (!at || *at < rt::Duration::zero()) return fmt::format("bad time '{}' (e.g. 1500ms, 20s)", words[0]);
  e.at = *at;
  auto kind = fault_kind_from_string(words[1]);
  if (!kind) return fmt::format("unknown fault '{}'", words[1]);
  e.kind = *kind;
  if (!valid_node_name(words[2])) return fmt::format("bad node name '{}'", words[2]);
  e.node = std::string(words[2]);
  size_t next = 3;
  if (is_link_fault(e.kind)) {
    if (words.size() < 5 || (words[3] != "->" && words[3] != "<->"))
      return fmt::format("{} needs a link: '<node> -> <peer>' or '<node> <-> <peer>'", words[1]);
    e.both_ways = words[3] == "<->";
    if (!valid_node_name(words[4])) return fmt::format("bad node name '{}'", words[4]);
    if (words[4] == words[2]) return "a link joins two different nodes";
    e.peer = std::string(words[4]);
    next = 5;
  }
  const Params want = params_of(e.kind);
  if (want.optional == Param::rate) e.rate = kOptionalRateDefault;
  bool seen_required = false, seen_optional = false;
  for (; next < words.size(); ++next) {
    const std::string_view kv = words[next];
    const size_t eq = kv.find('=');
    const std::string_view key = kv.substr(0, eq);
    Param p = Param::none;
    bool* seen = nullptr;
    if (eq != std::string_view::npos && want.required != Param::none && key == param_name(want.required)) {
      p = want.required;
      seen = &seen_required;
    } else if (eq != std::string_view::npos && want.optional != Param::none && key == param_name(want.optional)) {
      p = want.optional;
      seen = &seen_optional;
    } else {
      return fmt::format("unexpected '{}'", kv);
    }
    if (*seen) return fmt::format("{} given twice", key);
    *seen = true;
    if (auto problem = parse_param(p, kv.substr(eq + 1), e)) return problem;
  }
  if (want.required != Param::none && !seen_required)
    return fmt::format("{} needs {}=...", words[1], param_name(want.required));
  return std::nullopt;
}

}  // namespace

std::string_view to_string(FaultKind k) {
  for (const auto& [kind, name] : kKinds)
    if (kind == k) return name;
  RMQ_ASSERT_MSG(false, "unknown FaultKind");
  return "";
}

std::optional<FaultKind> fault_kind_from_string(std::string_view s) {
  for (const auto& [kind, name] : kKinds)
    if (name == s) return kind;
  return std::nullopt;
}

bool is_link_fault(FaultKind k) {
  switch (k) {
    case FaultKind::partition:
    case FaultKind::heal:
    case FaultKind::reset:
    case FaultKind::clog:
    case FaultKind::unclog:
    case FaultKind::latency:
    case FaultKind::loss: return true;
    default: return false;
  }
}

std::string to_string(const FaultEvent& e) {
  std::string out = fmt::format("{} {} {}", duration_text(e.at), to_string(e.kind), e.node);
  if (is_link_fault(e.kind)) out += fmt::format(" {} {}", e.both_ways ? "<->" : "->", e.peer);
  const Params p = params_of(e.kind);
  out += param_text(p.required, e);
  if (p.optional == Param::rate && e.rate != kOptionalRateDefault) out += param_text(p.optional, e);
  return out;
}

FaultEvent& FaultPlan::add(rt::Duration at, FaultKind kind, std::string node) {
  FaultEvent e;
  e.at = at;
  e.kind = kind;
  e.node = std::move(node);
  if (params_of(kind).optional == Param::rate) e.rate = kOptionalRateDefault;
  events.push_back(std::move(e));
  return events.back();
}

FaultEvent& FaultPlan::add(rt::Duration at, FaultKind kind, std::string node, std::string peer, bool both_ways) {
  FaultEvent& e = add(at, kind, std::move(node));
  e.peer = std::move(peer);
  e.both_ways = both_ways;
  return e;
}

std::string to_string(const FaultPlan& plan) {
  std::string out;
  for (const auto& e : plan.events) {
    out += to_string(e);
    out += '\n';
  }
  return out;
}

rt::Result<FaultPlan> parse_fault_plan(std::string_view text) {
  FaultPlan plan;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.size() > kFaultLineBytesMax)
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("fault plan line {}: longer than {} bytes", line_no, kFaultLineBytesMax));
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (split_words(line).empty()) continue;
    if (plan.events.size() == kFaultEventsMax)
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("fault plan line {}: more than {} events", line_no, kFaultEventsMax));
    FaultEvent e;
    if (auto problem = parse_event(line, e))
      return rt::Error(rt::Errc::invalid_argument, fmt::format("fault plan line {}: {}", line_no, *problem));
    plan.events.push_back(std::move(e));
  }
  return plan;
}

}  // namespace rmq::scenarios
