#include "common/numbers.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <limits>

namespace rmq::common {

std::optional<int64_t> parse_java_long(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int32_t> parse_java_int(std::string_view s) {
  auto v = parse_java_long(s);
  if (!v || *v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max())
    return std::nullopt;
  return static_cast<int32_t>(*v);
}

bool parse_java_bool(std::string_view s) {
  if (s.size() != 4) return false;
  const char want[] = "true";
  for (size_t i = 0; i < 4; ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != want[i]) return false;
  return true;
}

std::string java_double(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace rmq::common
