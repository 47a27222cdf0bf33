#include "remoting/admin_bodies.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <tuple>

#include "common/json.h"
#include "common/message_const.h"
#include "common/numbers.h"
#include "remoting/codes.h"

namespace rmq::remoting {

namespace bj = boost::json;
namespace rs = remoting::response_code;
using rt::Errc;
using rt::Error;

namespace {

Error bad(std::string what) { return Error(Errc::invalid_argument, std::move(what)); }

bool by_name(const Master& a, const Master& b) { return a.broker_name < b.broker_name; }

bool by_queue(const QueueRef& a, const QueueRef& b) {
  return std::tie(a.broker_name, a.queue_id) < std::tie(b.broker_name, b.queue_id);
}

bool by_mq(const MessageQueueKey& a, const MessageQueueKey& b) {
  return std::tie(a.topic, a.broker_name, a.queue_id) < std::tie(b.topic, b.broker_name, b.queue_id);
}

std::vector<QueueRef> queues_with(const remoting::TopicRouteData& route, int32_t perm_bit, bool write) {
  std::vector<QueueRef> out;
  for (const auto& q : route.queue_datas) {
    if ((q.perm & perm_bit) == 0) continue;
    std::optional<std::string> addr;
    for (const auto& b : route.broker_datas)
      if (b.broker_name == q.broker_name) addr = master_addr(b);
    if (!addr) continue;
    const int32_t n = write ? q.write_queue_nums : q.read_queue_nums;
    for (int32_t id = 0; id < n; ++id) out.push_back(QueueRef{q.broker_name, *addr, id});
  }
  std::sort(out.begin(), out.end(), by_queue);
  return out;
}

// fastjson's MessageQueue map key: {"brokerName":..,"queueId":..,"topic":..}.
rt::Result<MessageQueueKey> mq_key_from(std::string_view text) {
  auto key = json::parse_lenient(text);
  if (!key || !key->is_object()) return bad("an offsetTable key is not a MessageQueue object");
  const auto& k = key->get_object();
  MessageQueueKey mq;
  mq.topic = json::get_string(k, "topic").value_or("");
  mq.broker_name = json::get_string(k, "brokerName").value_or("");
  mq.queue_id = static_cast<int32_t>(json::get_int64(k, "queueId").value_or(-1));
  return mq;
}

// {"offsetTable":{<MessageQueue JSON>:{...}}} -> (key, value object) pairs.
rt::Result<std::vector<std::pair<MessageQueueKey, const bj::object*>>> mq_table(const bj::value& root) {
  if (!root.is_object()) return bad("the body is not a JSON object");
  std::vector<std::pair<MessageQueueKey, const bj::object*>> out;
  const bj::value* table = root.get_object().if_contains("offsetTable");
  if (!table) return out;
  if (!table->is_object()) return bad("offsetTable is not an object");
  for (const auto& kv : table->get_object()) {
    auto mq = mq_key_from(std::string_view(kv.key().data(), kv.key().size()));
    if (!mq) return mq.error();
    if (!kv.value().is_object()) return bad("an offsetTable value is not an object");
    out.emplace_back(std::move(*mq), &kv.value().get_object());
  }
  return out;
}

}  // namespace

std::optional<std::string> master_addr(const remoting::BrokerData& b) {
  auto it = b.broker_addrs.find(0);
  if (it == b.broker_addrs.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::vector<Master> route_masters(const remoting::TopicRouteData& route) {
  std::vector<Master> out;
  for (const auto& b : route.broker_datas)
    if (auto addr = master_addr(b)) out.push_back(Master{b.broker_name, *addr});
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

std::vector<Master> cluster_masters(const remoting::ClusterInfo& info, std::string_view cluster) {
  std::vector<Master> out;
  for (const auto& [name, names] : info.cluster_addr_table) {
    if (!cluster.empty() && name != cluster) continue;
    for (const auto& broker_name : names) {
      auto it = info.broker_addr_table.find(broker_name);
      if (it == info.broker_addr_table.end()) continue;
      if (auto addr = master_addr(it->second)) out.push_back(Master{broker_name, *addr});
    }
  }
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

std::vector<QueueRef> write_queues(const remoting::TopicRouteData& route) {
  return queues_with(route, remoting::kPermWrite, /*write=*/true);
}

std::vector<QueueRef> read_queues(const remoting::TopicRouteData& route) {
  return queues_with(route, remoting::kPermRead, /*write=*/false);
}

rt::Result<std::vector<TopicQueueStats>> decode_topic_stats(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  auto table = mq_table(*v);
  if (!table) return table.error();
  std::vector<TopicQueueStats> out;
  for (const auto& [mq, o] : *table) {
    TopicQueueStats s;
    s.mq = mq;
    s.min_offset = json::get_int64(*o, "minOffset").value_or(0);
    s.max_offset = json::get_int64(*o, "maxOffset").value_or(0);
    s.last_update_ms = json::get_int64(*o, "lastUpdateTimestamp").value_or(0);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return by_mq(a.mq, b.mq); });
  return out;
}

rt::Result<ConsumeStats> decode_consume_stats(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  auto table = mq_table(*v);
  if (!table) return table.error();
  ConsumeStats out;
  if (const bj::value* tps = v->get_object().if_contains("consumeTps"); tps && tps->is_number())
    out.consume_tps = tps->to_number<double>();
  for (const auto& [mq, o] : *table) {
    ConsumeQueueStats s;
    s.mq = mq;
    s.broker_offset = json::get_int64(*o, "brokerOffset").value_or(0);
    s.consumer_offset = json::get_int64(*o, "consumerOffset").value_or(0);
    s.last_timestamp_ms = json::get_int64(*o, "lastTimestamp").value_or(0);
    out.queues.push_back(std::move(s));
  }
  std::sort(out.queues.begin(), out.queues.end(), [](const auto& a, const auto& b) { return by_mq(a.mq, b.mq); });
  return out;
}

rt::Result<GroupConnections> decode_group_connections(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  if (!v->is_object()) return bad("the body is not a JSON object");
  const auto& root = v->get_object();
  GroupConnections out;
  if (const bj::value* set = root.if_contains("connectionSet")) {
    if (!set->is_array()) return bad("connectionSet is not an array");
    for (const auto& e : set->get_array()) {
      if (!e.is_object()) return bad("a connection is not an object");
      const auto& o = e.get_object();
      out.connections.push_back({json::get_string(o, "clientId").value_or(""),
                                 json::get_string(o, "clientAddr").value_or(""),
                                 json::get_string(o, "language").value_or(""),
                                 static_cast<int32_t>(json::get_int64(o, "version").value_or(0))});
    }
  }
  std::sort(out.connections.begin(), out.connections.end(),
            [](const ClientConnection& a, const ClientConnection& b) { return a.client_id < b.client_id; });
  if (const bj::value* subs = root.if_contains("subscriptionTable"); subs && subs->is_object())
    for (const auto& kv : subs->get_object())
      if (kv.value().is_object())
        out.subscriptions[std::string(kv.key())] = json::get_string(kv.value().get_object(), "subString").value_or("");
  auto text_of = [&](const char* key) {
    const bj::value* x = root.if_contains(key);
    return x ? json::scalar_text(*x).value_or("") : std::string();
  };
  out.consume_type = text_of("consumeType");
  out.message_model = text_of("messageModel");
  out.consume_from_where = text_of("consumeFromWhere");
  return out;
}

std::string version_desc(int32_t ordinal) {
  switch (ordinal) {
    case 121: return "V3_4_9";
    case 333: return "V4_6_0";
    case 399: return "V4_9_3";
    case 401: return "V4_9_4";
    case 409: return "V4_9_8";
    case 413: return "V5_0_0";
    case 479: return "V5_3_3";
  }
  return fmt::format("ordinal {}", ordinal);
}

rt::Result<std::vector<std::pair<MessageQueueKey, int64_t>>> decode_reset_offsets(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  if (!v->is_object()) return bad("the body is not a JSON object");
  std::vector<std::pair<MessageQueueKey, int64_t>> out;
  const bj::value* table = v->get_object().if_contains("offsetTable");
  if (!table) return out;
  if (!table->is_object()) return bad("offsetTable is not an object");
  for (const auto& kv : table->get_object()) {
    auto mq = mq_key_from(std::string_view(kv.key().data(), kv.key().size()));
    if (!mq) return mq.error();
    // An offset is a Java long: a uint64 past INT64_MAX is not one.
    const bj::value& o = kv.value();
    if (!o.is_int64() && !(o.is_uint64() && o.get_uint64() <= static_cast<uint64_t>(INT64_MAX)))
      return bad("an offsetTable value is not an offset");
    out.emplace_back(std::move(*mq), o.is_int64() ? o.get_int64() : static_cast<int64_t>(o.get_uint64()));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return by_mq(a.first, b.first); });
  return out;
}

rt::Result<BrokerStatsData> decode_broker_stats(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  if (!v->is_object()) return bad("the body is not a JSON object");
  BrokerStatsData out;
  auto window = [&](const char* name, int64_t& sum, double* tps) -> rt::Result<void> {
    const bj::value* w = v->get_object().if_contains(name);
    if (!w) return {};
    if (!w->is_object()) return bad(std::string(name) + " is not an object");
    sum = json::get_int64(w->get_object(), "sum").value_or(0);
    if (tps)
      if (const bj::value* t = w->get_object().if_contains("tps"); t && t->is_number()) *tps = t->to_number<double>();
    return {};
  };
  if (auto r = window("statsMinute", out.minute_sum, &out.minute_tps); !r) return r.error();
  if (auto r = window("statsHour", out.hour_sum, &out.hour_tps); !r) return r.error();
  if (auto r = window("statsDay", out.day_sum, &out.day_tps); !r) return r.error();
  return out;
}

rt::Result<std::vector<std::string>> decode_group_list(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  if (!v->is_object()) return bad("the body is not a JSON object");
  std::vector<std::string> out;
  const bj::value* list = v->get_object().if_contains("groupList");
  if (!list) return out;
  if (!list->is_array()) return bad("groupList is not an array");
  for (const auto& g : list->get_array()) {
    if (!g.is_string()) return bad("a groupList entry is not a string");
    out.emplace_back(g.get_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

rt::Result<std::map<std::string, std::string>> decode_kv_table(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  if (!v->is_object()) return bad("the body is not a JSON object");
  const bj::value* table = v->get_object().if_contains("table");
  if (!table || !table->is_object()) return bad("the body has no \"table\" object");
  std::map<std::string, std::string> out;
  for (const auto& kv : table->get_object())
    out[std::string(kv.key())] = json::scalar_text(kv.value()).value_or(json::serialize(kv.value()));
  return out;
}

int64_t table_long(const std::map<std::string, std::string>& table, const std::string& key) {
  auto it = table.find(key);
  if (it == table.end()) return 0;
  return common::parse_java_long(it->second).value_or(0);
}

std::string table_rate(const std::map<std::string, std::string>& table, const std::string& key) {
  auto it = table.find(key);
  if (it == table.end()) return "0.00";
  const std::string first = it->second.substr(0, it->second.find(' '));
  double v = 0;
  auto [end, ec] = std::from_chars(first.data(), first.data() + first.size(), v);
  if (ec != std::errc() || end != first.data() + first.size()) return "0.00";
  return fmt::format("{:.2f}", v);
}

std::string send_status_name(int32_t code) {
  switch (code) {
    case rs::kSuccess: return "SEND_OK";
    case rs::kFlushDiskTimeout: return "FLUSH_DISK_TIMEOUT";
    case rs::kFlushSlaveTimeout: return "FLUSH_SLAVE_TIMEOUT";
    case rs::kSlaveNotAvailable: return "SLAVE_NOT_AVAILABLE";
    default: return "";
  }
}

rt::Result<std::vector<common::StoredMessage>> decode_records(std::span<const std::byte> body) {
  std::vector<common::StoredMessage> out;
  size_t at = 0;
  while (at < body.size()) {
    auto d = common::decode_stored(body.subspan(at));
    if (d.status != common::RecordStatus::ok)
      return bad("record at byte " + std::to_string(at) + " of the answer does not decode" +
                 (d.problem.empty() ? std::string() : ": " + d.problem));
    out.push_back(std::move(*d.message));
    at += d.size;
  }
  return out;
}

std::string property(const common::StoredMessage& m, std::string_view key) {
  return std::string(common::find_property(m.properties, key));
}

std::string stored_offset_msg_id(const common::StoredMessage& m) {
  return common::offset_msg_id(m.store_host, m.physical_offset);
}

std::string message_id(const common::StoredMessage& m) {
  std::string uniq = property(m, common::kPropUniqKey);
  return uniq.empty() ? stored_offset_msg_id(m) : uniq;
}


// ---- the broker's side -----------------------------------------------------

std::string mq_key_json(const MessageQueueKey& mq) {
  bj::object k;
  k["brokerName"] = mq.broker_name;
  k["queueId"] = mq.queue_id;
  k["topic"] = mq.topic;
  return json::serialize(bj::value(std::move(k)));
}

std::string encode_topic_stats(const std::vector<TopicQueueStats>& queues) {
  std::string body = "{\"offsetTable\":{";
  for (size_t i = 0; i < queues.size(); ++i) {
    const TopicQueueStats& q = queues[i];
    body += fmt::format("{}{}:{{\"lastUpdateTimestamp\":{},\"maxOffset\":{},\"minOffset\":{}}}", i ? "," : "",
                        mq_key_json(q.mq), q.last_update_ms, q.max_offset, q.min_offset);
  }
  return body + "}}";
}

std::string encode_consume_stats(const ConsumeStats& stats) {
  std::string body = fmt::format("{{\"consumeTps\":{},\"offsetTable\":{{", common::java_double(stats.consume_tps));
  for (size_t i = 0; i < stats.queues.size(); ++i) {
    const ConsumeQueueStats& q = stats.queues[i];
    body += fmt::format("{}{}:{{\"brokerOffset\":{},\"consumerOffset\":{},\"lastTimestamp\":{}}}", i ? "," : "",
                        mq_key_json(q.mq), q.broker_offset, q.consumer_offset, q.last_timestamp_ms);
  }
  return body + "}}";
}

namespace {

bj::array connection_set(const std::vector<ClientConnection>& connections) {
  bj::array set;
  for (const ClientConnection& c : connections) {
    bj::object o;
    o["clientAddr"] = c.client_addr;
    o["clientId"] = c.client_id;
    o["language"] = c.language;
    o["version"] = c.version;
    set.push_back(std::move(o));
  }
  return set;
}

}  // namespace

std::string encode_producer_connections(const std::vector<ClientConnection>& connections) {
  bj::object o;
  o["connectionSet"] = connection_set(connections);
  return json::serialize(bj::value(std::move(o)));
}

std::string encode_consumer_connections(const GroupConnections& g, const std::map<std::string, SubscriptionData>& subs) {
  bj::object table;
  for (const auto& [topic, sd] : subs) table[topic] = subscription_json(sd);
  bj::object o;
  o["connectionSet"] = connection_set(g.connections);
  o["consumeFromWhere"] = g.consume_from_where;
  o["consumeType"] = g.consume_type;
  o["messageModel"] = g.message_model;
  o["subscriptionTable"] = std::move(table);
  return json::serialize(bj::value(std::move(o)));
}

std::string encode_broker_stats(const BrokerStatsData& stats) {
  auto window = [](int64_t sum, double tps) {
    return fmt::format("{{\"avgpt\":0.0,\"sum\":{},\"tps\":{}}}", sum, common::java_double(tps));
  };
  return fmt::format("{{\"statsDay\":{},\"statsHour\":{},\"statsMinute\":{}}}", window(stats.day_sum, stats.day_tps),
                     window(stats.hour_sum, stats.hour_tps), window(stats.minute_sum, stats.minute_tps));
}

std::string encode_group_list(const std::vector<std::string>& groups) {
  bj::array list;
  for (const auto& g : groups) list.emplace_back(g);
  bj::object o;
  o["groupList"] = std::move(list);
  return json::serialize(bj::value(std::move(o)));
}

std::string encode_reset_offsets(const std::vector<std::pair<MessageQueueKey, int64_t>>& offsets) {
  std::string body = "{\"offsetTable\":{";
  for (size_t i = 0; i < offsets.size(); ++i)
    body += fmt::format("{}{}:{}", i ? "," : "", mq_key_json(offsets[i].first), offsets[i].second);
  return body + "}}";
}

std::string encode_kv_table(const std::vector<std::pair<std::string, std::string>>& table) {
  bj::object t;
  for (const auto& [k, v] : table) t[k] = v;
  bj::object o;
  o["table"] = std::move(t);
  return json::serialize(bj::value(std::move(o)));
}

}  // namespace rmq::remoting
