// HEART_BEAT (34) body: HeartbeatData (reference 3.3). Decoding accepts what
// every client sends: enum names or ordinals (rocketmq-client-cpp), numbers
// as strings, absent expressionType (TAG), and recomputes codeSet from the
// tags (Java String.hashCode) instead of trusting the client's.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace boost::json {
class object;
}

namespace rmq::remoting {

enum class ConsumeType { actively, passively, pop };
enum class MessageModel { broadcasting, clustering };
enum class ConsumeFromWhere {
  last_offset,
  last_offset_and_from_min_when_boot_first,
  min_offset,
  max_offset,
  first_offset,
  timestamp,
};

struct SubscriptionData {
  std::string topic;
  std::string sub_string = "*";
  std::string expression_type = "TAG";
  std::set<std::string> tags_set;
  std::set<int32_t> code_set;
  int64_t sub_version = 0;
  bool class_filter_mode = false;
  bool operator==(const SubscriptionData&) const = default;
};

// A SubscriptionData as the Java client writes it in a heartbeat (and the
// broker in GET_CONSUMER_CONNECTION_LIST's subscriptionTable).
boost::json::object subscription_json(const SubscriptionData& s);

struct ConsumerData {
  std::string group_name;
  ConsumeType consume_type = ConsumeType::passively;
  MessageModel message_model = MessageModel::clustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::last_offset;
  std::vector<SubscriptionData> subscriptions;
  bool unit_mode = false;
};

struct HeartbeatData {
  std::string client_id;
  std::vector<std::string> producer_groups;
  std::vector<ConsumerData> consumers;
};

// Errc::invalid_argument naming what is wrong; bounded by the JSON limits.
rt::Result<HeartbeatData> decode_heartbeat(std::string_view json);
std::string encode_heartbeat(const HeartbeatData& h);

std::string_view to_string(ConsumeType t);
std::string_view to_string(MessageModel m);
std::string_view to_string(ConsumeFromWhere c);

// Tags of a TAG expression: "*" or "" -> none (all); "a || b" -> {a, b}.
std::set<std::string> parse_tag_expression(std::string_view expr);

}  // namespace rmq::remoting
