// Delay levels (reference 8.5, MessageStoreConfig.messageDelayLevel): level L
// (1-based) delays a message by the L-th duration of the table. A message
// parked for level L sits in SCHEDULE_TOPIC_XXXX queue L-1, and its
// ConsumeQueue tags code is its delivery time: store time + delay(L).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::store {

inline constexpr const char* kDefaultMessageDelayLevel = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
// A table longer than this, or a delay longer than kDelayMaxMs, is refused.
inline constexpr size_t kDelayLevelsMax = 1000;
inline constexpr int64_t kDelayMaxMs = int64_t{365} * 24 * 3600 * 1000;

// "1s 5s 10s ..." -> the delay of each level in ms (index 0 = level 1). Each
// entry is a non-negative integer and a unit s, m, h or d; entries are
// separated by whitespace. Errc::invalid_argument saying which entry is bad.
rt::Result<std::vector<int64_t>> parse_delay_levels(std::string_view text);
// The inverse: "1s 5s 10s ..." (each delay in the largest unit dividing it).
std::string format_delay_levels(const std::vector<int64_t>& levels_ms);

// A requested level clamped to the table: above the last level -> the last.
// REQUIRES: level > 0, the table is not empty.
int32_t clamp_delay_level(const std::vector<int64_t>& levels_ms, int32_t level);
// When a message stored at `store_timestamp_ms` for `level` is due.
// REQUIRES: 1 <= level <= levels_ms.size().
int64_t deliver_timestamp(const std::vector<int64_t>& levels_ms, int32_t level, int64_t store_timestamp_ms);

}  // namespace rmq::store
