#include "store/delay_levels.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/canary/store_delay_level_short.h"
#include "common/numbers.h"
#include "runtime/assert.h"

namespace rmq::store {

namespace {

int64_t unit_ms(char u) {
  switch (u) {
    case 's': return 1000;
    case 'm': return 60 * 1000;
    case 'h': return 3600 * 1000;
    case 'd': return 24 * 3600 * 1000;
    default: return 0;
  }
}

bool space(char c) { return c == ' ' || c == '\t'; }

}  // namespace

rt::Result<std::vector<int64_t>> parse_delay_levels(std::string_view text) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    if (space(text[pos])) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < text.size() && !space(text[end])) ++end;
    const std::string_view entry = text.substr(pos, end - pos);
    pos = end;
    const auto bad = [&](std::string why) {
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("level {} '{}' {}", out.size() + 1, entry, std::move(why)));
    };
    const int64_t unit = unit_ms(entry.back());
    if (entry.size() < 2 || unit == 0) return bad("is not a number followed by s, m, h or d");
    const std::string_view digits = entry.substr(0, entry.size() - 1);
    bool all_digits = true;
    for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
    auto n = common::parse_java_long(digits);
    if (!all_digits || !n) return bad("is not a number followed by s, m, h or d");
    if (*n > kDelayMaxMs / unit) return bad("is longer than 365 days");
    if (out.size() == kDelayLevelsMax) return bad(fmt::format("is one level too many (at most {})", kDelayLevelsMax));
    out.push_back(*n * unit);
  }
  if (out.empty()) return rt::Error(rt::Errc::invalid_argument, "no delay levels (expected e.g. '1s 5s 10s')");
  return out;
}

std::string format_delay_levels(const std::vector<int64_t>& levels_ms) {
  std::string out;
  for (int64_t ms : levels_ms) {
    if (!out.empty()) out += ' ';
    if (ms != 0 && ms % unit_ms('d') == 0) {
      out += fmt::format("{}d", ms / unit_ms('d'));
    } else if (ms != 0 && ms % unit_ms('h') == 0) {
      out += fmt::format("{}h", ms / unit_ms('h'));
    } else if (ms != 0 && ms % unit_ms('m') == 0) {
      out += fmt::format("{}m", ms / unit_ms('m'));
    } else {
      RMQ_ASSERT_MSG(ms % 1000 == 0, "delay levels are whole seconds");
      out += fmt::format("{}s", ms / 1000);
    }
  }
  return out;
}

int32_t clamp_delay_level(const std::vector<int64_t>& levels_ms, int32_t level) {
  RMQ_ASSERT(level > 0);
  RMQ_ASSERT(!levels_ms.empty());
  return std::min(level, static_cast<int32_t>(levels_ms.size()));
}

int64_t deliver_timestamp(const std::vector<int64_t>& levels_ms, int32_t level, int64_t store_timestamp_ms) {
  RMQ_ASSERT(level >= 1);
  RMQ_ASSERT(static_cast<size_t>(level) <= levels_ms.size());
  if constexpr (common::canary::store_delay_level_short)
    if (level >= 2) return common::sat_add(store_timestamp_ms, levels_ms[static_cast<size_t>(level - 2)]);
  return common::sat_add(store_timestamp_ms, levels_ms[static_cast<size_t>(level - 1)]);
}

}  // namespace rmq::store
