// Java's String.hashCode() of a UTF-8 string: h = 31*h + c over its UTF-16
// code units, wrapping int32 (reference conventions). Tag codes in heartbeats
// and ConsumeQueue units are this hash.
#pragma once

#include <cstdint>
#include <string_view>

namespace rmq::common {

int32_t java_string_hash(std::string_view utf8);

}  // namespace rmq::common
