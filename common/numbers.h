// Parsing numbers and booleans as Java does (Long.parseLong, Integer.parseInt,
// Boolean.parseBoolean): the protocol's text fields and config values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rmq::common {

// Decimal with an optional sign; nullopt on anything else or overflow.
std::optional<int64_t> parse_java_long(std::string_view s);
std::optional<int32_t> parse_java_int(std::string_view s);
// Only a case-insensitive "true" is true.
bool parse_java_bool(std::string_view s);

}  // namespace rmq::common
