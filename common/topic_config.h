// A topic's configuration and the data version of a table of them: one type
// for the broker's topics.json (store/config_files.h), its registrations and
// the namesrv's routes (remoting/route_data.h). Permission bits and the tag
// filter types are RocketMQ's (reference 6.3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rmq::common {

// PermName.
inline constexpr int32_t kPermInherit = 0x1;
inline constexpr int32_t kPermWrite = 0x2;
inline constexpr int32_t kPermRead = 0x4;

// TopicFilterType, by name (ordinals 0 and 1).
inline constexpr std::string_view kSingleTag = "SINGLE_TAG";
inline constexpr std::string_view kMultiTag = "MULTI_TAG";

// DataVersion: bumped on every change of the table it versions.
struct DataVersion {
  int64_t timestamp = 0;      // wall ms of the last change
  int64_t counter = 0;        // counter (AtomicLong)
  int64_t state_version = 0;  // stateVersion
  bool operator==(const DataVersion&) const = default;
};

struct TopicConfig {
  std::string topic_name;                                   // topicName
  int32_t read_queue_nums = 16;                             // readQueueNums
  int32_t write_queue_nums = 16;                            // writeQueueNums
  int32_t perm = kPermRead | kPermWrite;                    // perm
  std::string topic_filter_type = std::string(kSingleTag);  // topicFilterType
  int32_t topic_sys_flag = 0;                               // topicSysFlag
  bool order = false;                                       // order
  bool operator==(const TopicConfig&) const = default;
};

}  // namespace rmq::common
