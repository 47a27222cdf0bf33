// Bodies of the route commands (reference 3.1 and section 4): what brokers
// register (RegisterBrokerBody, plain JSON or the compressed form) and what
// the NameServer answers (TopicRouteData, ClusterInfo, TopicList).
//
// Decoders accept fastjson's output (bare numeric keys, any key order,
// numbers as strings); encoders write fields alphabetically like fastjson.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/topic_config.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// Permission bits, data versions and topic configs (common/topic_config.h).
using common::DataVersion;
using common::kPermInherit;
using common::kPermRead;
using common::kPermWrite;
using common::TopicConfig;

// Broker ids (reference 6.3): the master is 0, slaves above.
inline constexpr int64_t kMasterId = 0;

// A consumer group's retry and dead-letter topics.
inline constexpr const char* kRetryPrefix = "%RETRY%";
inline constexpr const char* kDlqPrefix = "%DLQ%";
inline std::string retry_topic(std::string_view group) { return std::string(kRetryPrefix) + std::string(group); }
inline std::string dlq_topic(std::string_view group) { return std::string(kDlqPrefix) + std::string(group); }

struct RegisterBrokerBody {
  DataVersion data_version;
  std::map<std::string, TopicConfig> topic_config_table;
  std::vector<std::string> filter_server_list;
};

// The largest inflated compressed body accepted (a zip bomb stops here).
inline constexpr size_t kMaxInflatedBodyBytes = 64 * 1024 * 1024;

std::vector<std::byte> encode_register_broker_body(const RegisterBrokerBody& b, bool compressed);
// Errc::invalid_argument naming what is wrong.
rt::Result<RegisterBrokerBody> decode_register_broker_body(rt::ConstBytes body, bool compressed);

struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  int32_t topic_sys_flag = 0;
  bool operator==(const QueueData&) const = default;
};

struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;  // broker id -> address
  bool operator==(const BrokerData&) const = default;
};

struct TopicRouteData {
  std::optional<std::string> order_topic_conf;
  std::vector<QueueData> queue_datas;
  std::vector<BrokerData> broker_datas;
  bool operator==(const TopicRouteData&) const = default;
};

// standard_json: quoted map keys (for clients with version >= 401 or that
// asked acceptStandardJsonOnly); otherwise bare numeric keys like 4.x.
// A DataVersion alone: QUERY_DATA_VERSION's request and answer bodies.
std::string encode_data_version(const DataVersion& d);
rt::Result<DataVersion> decode_data_version(std::string_view json);

std::string encode_topic_route(const TopicRouteData& r, bool standard_json);
rt::Result<TopicRouteData> decode_topic_route(std::string_view json);

struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;               // by broker name
  std::map<std::string, std::set<std::string>> cluster_addr_table;  // cluster -> broker names
  bool operator==(const ClusterInfo&) const = default;
};
// Always bare numeric keys (Java does so in 4.x and 5.x).
std::string encode_cluster_info(const ClusterInfo& c);
rt::Result<ClusterInfo> decode_cluster_info(std::string_view json);

std::string encode_topic_list(const std::vector<std::string>& topics);
rt::Result<std::vector<std::string>> decode_topic_list(std::string_view json);

// Body bytes <-> text.
inline std::vector<std::byte> to_bytes(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return std::vector<std::byte>(p, p + s.size());
}
inline std::string_view to_text(rt::ConstBytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace rmq::remoting
