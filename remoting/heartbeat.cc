#include "remoting/heartbeat.h"

#include <array>
#include <boost/json.hpp>

#include "common/java_hash.h"
#include "common/json.h"

namespace rmq::remoting {

namespace bj = boost::json;
using rt::Errc;
using rt::Error;

namespace {

constexpr std::array<std::string_view, 3> kConsumeTypes{"CONSUME_ACTIVELY", "CONSUME_PASSIVELY", "CONSUME_POP"};
constexpr std::array<std::string_view, 2> kMessageModels{"BROADCASTING", "CLUSTERING"};
constexpr std::array<std::string_view, 6> kFromWhere{
    "CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
    "CONSUME_FROM_MIN_OFFSET",  "CONSUME_FROM_MAX_OFFSET",
    "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP"};

// An enum given by name or by ordinal (number or numeric string).
template <size_t N>
std::optional<size_t> enum_index(const bj::object& o, std::string_view key, const std::array<std::string_view, N>& names) {
  const bj::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string()) {
    const std::string_view s(v->get_string());
    for (size_t i = 0; i < N; ++i)
      if (names[i] == s) return i;
  }
  auto n = json::get_int64(o, key);
  if (n && *n >= 0 && static_cast<size_t>(*n) < N) return static_cast<size_t>(*n);
  return N;  // present but unknown
}

template <class E, size_t N>
rt::Result<E> read_enum(const bj::object& o, std::string_view key, const std::array<std::string_view, N>& names, E fallback) {
  auto i = enum_index(o, key, names);
  if (!i) return fallback;
  if (*i >= N) return Error(Errc::invalid_argument, "heartbeat: unknown " + std::string(key));
  return static_cast<E>(*i);
}

rt::Result<SubscriptionData> subscription_from(const bj::object& o) {
  SubscriptionData s;
  auto topic = json::get_string(o, "topic");
  if (!topic || topic->empty()) return Error(Errc::invalid_argument, "heartbeat: subscription without topic");
  s.topic = *topic;
  s.sub_string = json::get_string(o, "subString").value_or("*");
  s.expression_type = json::get_string(o, "expressionType").value_or("TAG");
  s.sub_version = json::get_int64(o, "subVersion").value_or(0);
  s.class_filter_mode = json::get_bool(o, "classFilterMode").value_or(false);
  if (const bj::value* tags = o.if_contains("tagsSet"); tags && tags->is_array()) {
    for (const auto& t : tags->get_array())
      if (auto text = json::scalar_text(t)) s.tags_set.insert(*text);
  } else if (s.expression_type == "TAG") {
    s.tags_set = parse_tag_expression(s.sub_string);
  }
  for (const auto& t : s.tags_set) s.code_set.insert(common::java_string_hash(t));
  return s;
}


}  // namespace

boost::json::object subscription_json(const SubscriptionData& s) {
  bj::array codes;
  for (int32_t c : s.code_set) codes.emplace_back(c);
  bj::array tags;
  for (const auto& t : s.tags_set) tags.emplace_back(t);
  bj::object o;
  o["classFilterMode"] = s.class_filter_mode;
  o["codeSet"] = std::move(codes);
  o["expressionType"] = s.expression_type;
  o["subString"] = s.sub_string;
  o["subVersion"] = s.sub_version;
  o["tagsSet"] = std::move(tags);
  o["topic"] = s.topic;
  return o;
}

std::string_view to_string(ConsumeType t) { return kConsumeTypes[static_cast<size_t>(t)]; }
std::string_view to_string(MessageModel m) { return kMessageModels[static_cast<size_t>(m)]; }
std::string_view to_string(ConsumeFromWhere c) { return kFromWhere[static_cast<size_t>(c)]; }

std::set<std::string> parse_tag_expression(std::string_view expr) {
  std::set<std::string> tags;
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  expr = trim(expr);
  if (expr.empty() || expr == "*") return tags;
  while (!expr.empty()) {
    const auto bar = expr.find("||");
    auto tag = trim(expr.substr(0, bar));
    if (!tag.empty()) tags.emplace(tag);
    if (bar == std::string_view::npos) break;
    expr.remove_prefix(bar + 2);
  }
  return tags;
}

rt::Result<HeartbeatData> decode_heartbeat(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  if (!v->is_object()) return Error(Errc::invalid_argument, "heartbeat: body is not a JSON object");
  const bj::object& o = v->get_object();
  HeartbeatData h;
  auto id = json::get_string(o, "clientID");
  if (!id || id->empty()) return Error(Errc::invalid_argument, "heartbeat: missing clientID");
  h.client_id = *id;
  if (const bj::value* ps = o.if_contains("producerDataSet"); ps && ps->is_array()) {
    for (const auto& p : ps->get_array())
      if (p.is_object())
        if (auto g = json::get_string(p.get_object(), "groupName")) h.producer_groups.push_back(*g);
  }
  if (const bj::value* cs = o.if_contains("consumerDataSet"); cs && cs->is_array()) {
    for (const auto& cv : cs->get_array()) {
      if (!cv.is_object()) return Error(Errc::invalid_argument, "heartbeat: consumer entry is not an object");
      const bj::object& c = cv.get_object();
      ConsumerData d;
      auto g = json::get_string(c, "groupName");
      if (!g || g->empty()) return Error(Errc::invalid_argument, "heartbeat: consumer without groupName");
      d.group_name = *g;
      auto type = read_enum(c, "consumeType", kConsumeTypes, ConsumeType::passively);
      auto model = read_enum(c, "messageModel", kMessageModels, MessageModel::clustering);
      auto from = read_enum(c, "consumeFromWhere", kFromWhere, ConsumeFromWhere::last_offset);
      if (!type) return type.error();
      if (!model) return model.error();
      if (!from) return from.error();
      d.consume_type = *type;
      d.message_model = *model;
      d.consume_from_where = *from;
      d.unit_mode = json::get_bool(c, "unitMode").value_or(false);
      if (const bj::value* subs = c.if_contains("subscriptionDataSet"); subs && subs->is_array()) {
        for (const auto& sv : subs->get_array()) {
          if (!sv.is_object()) return Error(Errc::invalid_argument, "heartbeat: subscription is not an object");
          auto s = subscription_from(sv.get_object());
          if (!s) return s.error();
          d.subscriptions.push_back(std::move(*s));
        }
      }
      h.consumers.push_back(std::move(d));
    }
  }
  return h;
}

std::string encode_heartbeat(const HeartbeatData& h) {
  bj::array consumers;
  for (const auto& c : h.consumers) {
    bj::array subs;
    for (const auto& s : c.subscriptions) subs.push_back(subscription_json(s));
    bj::object o;
    o["consumeFromWhere"] = to_string(c.consume_from_where);
    o["consumeType"] = to_string(c.consume_type);
    o["groupName"] = c.group_name;
    o["messageModel"] = to_string(c.message_model);
    o["subscriptionDataSet"] = std::move(subs);
    o["unitMode"] = c.unit_mode;
    consumers.push_back(std::move(o));
  }
  bj::array producers;
  for (const auto& g : h.producer_groups) {
    bj::object p;
    p["groupName"] = g;
    producers.push_back(std::move(p));
  }
  bj::object o;
  o["clientID"] = h.client_id;
  o["consumerDataSet"] = std::move(consumers);
  o["producerDataSet"] = std::move(producers);
  return json::serialize(bj::value(std::move(o)));
}

}  // namespace rmq::remoting
