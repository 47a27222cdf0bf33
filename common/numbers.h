// Parsing numbers and booleans as Java does (Long.parseLong, Integer.parseInt,
// Boolean.parseBoolean): the protocol's text fields and config values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rmq::common {

// Decimal with an optional sign; nullopt on anything else or overflow.
std::optional<int64_t> parse_java_long(std::string_view s);
std::optional<int32_t> parse_java_int(std::string_view s);
// Only a case-insensitive "true" is true.
bool parse_java_bool(std::string_view s);
// A double as Java's Double.toString writes the usual ones ("12.0", "0.5").
std::string java_double(double v);

// a + b and a - b clamped to the int64 range: timestamps read from disk or the
// wire may be anything, and signed overflow is undefined.
inline int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? INT64_MAX : INT64_MIN;
}
inline int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  if (!__builtin_sub_overflow(a, b, &r)) return r;
  return b < 0 ? INT64_MAX : INT64_MIN;
}

}  // namespace rmq::common
