// JSON as RocketMQ's Java side (fastjson) writes and reads it
// (reference section 4). Bodies and config files go through here.
//
// Reading is lenient: bare numeric map keys ({0:"a"}) and JSON objects in key
// position ({{"topic":"t","queueId":0}:5}) are accepted; such keys become
// strings (the number's text; the object's compact JSON). Depth and size are
// bounded so hostile input cannot exhaust the stack or memory.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/runtime.h"

namespace rmq::json {

inline constexpr size_t kMaxDepth = 64;

// Errc::invalid_argument with a message naming the byte offset on failure.
rt::Result<boost::json::value> parse_lenient(std::string_view text, size_t max_depth = kMaxDepth);

// Compact JSON. With `bare_numeric_keys`, object keys that are decimal
// integers ("0", "-3") are written unquoted, as fastjson does for Map<Long,..>.
// Control characters are escaped as \u00XX; other UTF-8 is written raw.
std::string serialize(const boost::json::value& v, bool bare_numeric_keys = false);

// A scalar as text: strings as they are, integers and doubles in decimal,
// booleans "true"/"false"; null, arrays and objects give nullopt.
std::optional<std::string> scalar_text(const boost::json::value& v);

// Typed lookups on an object, coercing as fastjson does: a number may come as
// a numeric string and a string field as a number. nullopt when absent, null
// or not convertible.
std::optional<std::string> get_string(const boost::json::object& o, std::string_view key);
std::optional<int64_t> get_int64(const boost::json::object& o, std::string_view key);
std::optional<bool> get_bool(const boost::json::object& o, std::string_view key);

}  // namespace rmq::json
