// zlib streams as RocketMQ uses them: compressed message bodies (sysFlag
// 0x1, level 5 in the Java client) and the compressed REGISTER_BROKER body
// (best compression).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::common {

// The inflated bytes, at most `max_bytes` of them (a zip bomb stops there);
// Errc::invalid_argument saying what is wrong ("compressed body inflates
// beyond N bytes", "... is not a valid zlib stream", "... is truncated").
rt::Result<std::string> inflate_bounded(rt::ConstBytes in, size_t max_bytes);

// A zlib stream of `in` at `level` (1-9); nullopt only if zlib fails.
std::optional<std::vector<std::byte>> deflate_zlib(std::string_view in, int level);

}  // namespace rmq::common
