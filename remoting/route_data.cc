#include "remoting/route_data.h"

#include "common/topic_config_json.h"

#include <zlib.h>

#include <boost/json.hpp>
#include <cstring>

#include "common/json.h"
#include "common/zlib_codec.h"
#include "remoting/header_fields.h"

namespace rmq::remoting {

namespace bj = boost::json;
using rt::Errc;
using rt::Error;

namespace {

Error bad(std::string what) { return Error(Errc::invalid_argument, std::move(what)); }

const bj::object* as_object(const bj::value* v) { return v && v->is_object() ? &v->get_object() : nullptr; }
const bj::array* as_array(const bj::value* v) { return v && v->is_array() ? &v->get_array() : nullptr; }

int32_t int32_or(const bj::object& o, std::string_view key, int32_t fallback) {
  auto v = json::get_int64(o, key);
  return v ? static_cast<int32_t>(*v) : fallback;
}

// ---- DataVersion, TopicConfig ------------------------------------------------

bj::object data_version_json(const DataVersion& d) { return common::to_json(d); }

DataVersion data_version_from(const bj::object& o) {
  DataVersion d;
  d.counter = json::get_int64(o, "counter").value_or(0);
  d.state_version = json::get_int64(o, "stateVersion").value_or(0);
  d.timestamp = json::get_int64(o, "timestamp").value_or(0);
  return d;
}

bj::object topic_config_json(const TopicConfig& t) { return common::to_json(t); }

TopicConfig topic_config_from(const bj::object& o, const std::string& name) {
  TopicConfig t;
  t.topic_name = json::get_string(o, "topicName").value_or(name);
  t.read_queue_nums = int32_or(o, "readQueueNums", t.read_queue_nums);
  t.write_queue_nums = int32_or(o, "writeQueueNums", t.write_queue_nums);
  t.perm = int32_or(o, "perm", t.perm);
  t.topic_filter_type = json::get_string(o, "topicFilterType").value_or(t.topic_filter_type);
  t.topic_sys_flag = int32_or(o, "topicSysFlag", 0);
  t.order = json::get_bool(o, "order").value_or(false);
  return t;
}

// "name readQ writeQ perm FILTERTYPE[ attributes]" (TopicConfig.encode()).
std::string topic_config_text(const TopicConfig& t) {
  return t.topic_name + " " + std::to_string(t.read_queue_nums) + " " + std::to_string(t.write_queue_nums) + " " +
         std::to_string(t.perm) + " " + t.topic_filter_type;
}

rt::Result<TopicConfig> topic_config_from_text(std::string_view s) {
  std::vector<std::string_view> parts;
  while (parts.size() < 5) {
    const auto sp = s.find(' ');
    parts.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  if (parts.size() < 5) return bad("compressed topic config has fewer than 5 fields");
  TopicConfig t;
  t.topic_name = std::string(parts[0]);
  auto r = parse_java_int(parts[1]);
  auto w = parse_java_int(parts[2]);
  auto p = parse_java_int(parts[3]);
  if (!r || !w || !p) return bad("compressed topic config has a non-numeric field: " + t.topic_name);
  t.read_queue_nums = *r;
  t.write_queue_nums = *w;
  t.perm = *p;
  t.topic_filter_type = std::string(parts[4]);
  return t;
}

// ---- compressed form ---------------------------------------------------------

void put_i32(std::string& out, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((u >> shift) & 0xff));
}

void put_chunk(std::string& out, std::string_view s) {
  put_i32(out, static_cast<int32_t>(s.size()));
  out.append(s);
}

class ChunkReader {
 public:
  explicit ChunkReader(std::string_view s) : s_(s) {}
  std::optional<int32_t> i32() {
    if (s_.size() < 4) return std::nullopt;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s_[static_cast<size_t>(i)]);
    s_.remove_prefix(4);
    return static_cast<int32_t>(v);
  }
  std::optional<std::string_view> chunk() {
    auto n = i32();
    if (!n || *n < 0 || static_cast<size_t>(*n) > s_.size()) return std::nullopt;
    auto out = s_.substr(0, static_cast<size_t>(*n));
    s_.remove_prefix(static_cast<size_t>(*n));
    return out;
  }

 private:
  std::string_view s_;
};

rt::Result<RegisterBrokerBody> decode_compressed(rt::ConstBytes body) {
  auto text = common::inflate_bounded(body, kMaxInflatedBodyBytes);
  if (!text) return text.error();
  ChunkReader r(*text);
  RegisterBrokerBody b;
  auto dv = r.chunk();
  if (!dv) return bad("compressed body: missing data version");
  auto dv_json = json::parse_lenient(*dv);
  if (!dv_json || !dv_json->is_object()) return bad("compressed body: data version is not a JSON object");
  b.data_version = data_version_from(dv_json->get_object());
  auto n = r.i32();
  if (!n || *n < 0) return bad("compressed body: bad topic count");
  for (int32_t i = 0; i < *n; ++i) {
    auto c = r.chunk();
    if (!c) return bad("compressed body: truncated topic config " + std::to_string(i));
    auto t = topic_config_from_text(*c);
    if (!t) return t.error();
    b.topic_config_table[t->topic_name] = std::move(*t);
  }
  if (auto fs = r.chunk()) {
    auto arr = json::parse_lenient(*fs);
    if (arr && arr->is_array())
      for (const auto& v : arr->get_array())
        if (v.is_string()) b.filter_server_list.emplace_back(v.get_string());
  }
  return b;  // a trailing 5.x topic-queue-mapping section is ignored
}

std::vector<std::byte> deflate_best(std::string_view in) {
  auto out = common::deflate_zlib(in, Z_BEST_COMPRESSION);
  RMQ_ASSERT(out.has_value());
  return std::move(*out);
}

// ---- route objects -----------------------------------------------------------

bj::object broker_data_json(const BrokerData& b) {
  bj::object addrs;
  for (const auto& [id, addr] : b.broker_addrs) addrs[std::to_string(id)] = addr;
  bj::object o;
  o["brokerAddrs"] = std::move(addrs);
  o["brokerName"] = b.broker_name;
  o["cluster"] = b.cluster;
  return o;
}

rt::Result<BrokerData> broker_data_from(const bj::object& o) {
  BrokerData b;
  b.cluster = json::get_string(o, "cluster").value_or("");
  b.broker_name = json::get_string(o, "brokerName").value_or("");
  if (const auto* addrs = as_object(o.if_contains("brokerAddrs"))) {
    for (const auto& kv : *addrs) {
      auto id = parse_java_long(std::string_view(kv.key().data(), kv.key().size()));
      auto addr = json::scalar_text(kv.value());
      if (!id || !addr) return bad("brokerAddrs entry is not <id>:<address>");
      b.broker_addrs[*id] = *addr;
    }
  }
  return b;
}

}  // namespace

std::vector<std::byte> encode_register_broker_body(const RegisterBrokerBody& b, bool compressed) {
  if (compressed) {
    std::string raw;
    put_chunk(raw, json::serialize(bj::value(data_version_json(b.data_version))));
    put_i32(raw, static_cast<int32_t>(b.topic_config_table.size()));
    for (const auto& [name, t] : b.topic_config_table) put_chunk(raw, topic_config_text(t));
    bj::array fs;
    for (const auto& s : b.filter_server_list) fs.emplace_back(s);
    put_chunk(raw, json::serialize(bj::value(std::move(fs))));
    return deflate_best(raw);
  }
  bj::object table;
  for (const auto& [name, t] : b.topic_config_table) table[name] = topic_config_json(t);
  bj::object wrapper;
  wrapper["dataVersion"] = data_version_json(b.data_version);
  wrapper["topicConfigTable"] = std::move(table);
  bj::array fs;
  for (const auto& s : b.filter_server_list) fs.emplace_back(s);
  bj::object o;
  o["filterServerList"] = std::move(fs);
  o["topicConfigSerializeWrapper"] = std::move(wrapper);
  return to_bytes(json::serialize(bj::value(std::move(o))));
}

rt::Result<RegisterBrokerBody> decode_register_broker_body(rt::ConstBytes body, bool compressed) {
  if (compressed) return decode_compressed(body);
  RegisterBrokerBody b;
  if (body.empty()) return b;
  auto v = json::parse_lenient(to_text(body));
  if (!v) return v.error();
  const auto* o = as_object(&*v);
  if (!o) return bad("register body is not a JSON object");
  // Brokers before V3_0_11 send the wrapper itself.
  const auto* wrapper = as_object(o->if_contains("topicConfigSerializeWrapper"));
  if (!wrapper) wrapper = o;
  if (const auto* dv = as_object(wrapper->if_contains("dataVersion"))) b.data_version = data_version_from(*dv);
  if (const auto* table = as_object(wrapper->if_contains("topicConfigTable"))) {
    for (const auto& kv : *table) {
      const auto* t = as_object(&kv.value());
      if (!t) return bad("topicConfigTable entry is not an object");
      const std::string name(kv.key());
      b.topic_config_table[name] = topic_config_from(*t, name);
    }
  }
  if (const auto* fs = as_array(o->if_contains("filterServerList")))
    for (const auto& s : *fs)
      if (s.is_string()) b.filter_server_list.emplace_back(s.get_string());
  return b;
}

std::string encode_topic_route(const TopicRouteData& r, bool standard_json) {
  bj::array brokers;
  for (const auto& b : r.broker_datas) brokers.push_back(broker_data_json(b));
  bj::array queues;
  for (const auto& q : r.queue_datas) {
    bj::object o;
    o["brokerName"] = q.broker_name;
    o["perm"] = q.perm;
    o["readQueueNums"] = q.read_queue_nums;
    o["topicSysFlag"] = q.topic_sys_flag;
    o["writeQueueNums"] = q.write_queue_nums;
    queues.push_back(std::move(o));
  }
  bj::object o;
  o["brokerDatas"] = std::move(brokers);
  o["filterServerTable"] = bj::object();
  if (r.order_topic_conf) o["orderTopicConf"] = *r.order_topic_conf;
  o["queueDatas"] = std::move(queues);
  return json::serialize(bj::value(std::move(o)), /*bare_numeric_keys=*/!standard_json);
}

std::string encode_data_version(const DataVersion& d) { return json::serialize(bj::value(data_version_json(d))); }

rt::Result<DataVersion> decode_data_version(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  const auto* o = as_object(&*v);
  if (!o) return bad("data version is not a JSON object");
  return data_version_from(*o);
}

rt::Result<TopicRouteData> decode_topic_route(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  const auto* o = as_object(&*v);
  if (!o) return bad("route is not a JSON object");
  TopicRouteData r;
  r.order_topic_conf = json::get_string(*o, "orderTopicConf");
  if (const auto* qs = as_array(o->if_contains("queueDatas"))) {
    for (const auto& qv : *qs) {
      const auto* q = as_object(&qv);
      if (!q) return bad("queueDatas entry is not an object");
      QueueData d;
      d.broker_name = json::get_string(*q, "brokerName").value_or("");
      d.read_queue_nums = int32_or(*q, "readQueueNums", 0);
      d.write_queue_nums = int32_or(*q, "writeQueueNums", 0);
      d.perm = int32_or(*q, "perm", 0);
      // Namesrvs before 4.9.0 spell it topicSynFlag.
      d.topic_sys_flag = int32_or(*q, "topicSysFlag", int32_or(*q, "topicSynFlag", 0));
      r.queue_datas.push_back(std::move(d));
    }
  }
  if (const auto* bs = as_array(o->if_contains("brokerDatas"))) {
    for (const auto& bv : *bs) {
      const auto* b = as_object(&bv);
      if (!b) return bad("brokerDatas entry is not an object");
      auto d = broker_data_from(*b);
      if (!d) return d.error();
      r.broker_datas.push_back(std::move(*d));
    }
  }
  return r;
}

std::string encode_cluster_info(const ClusterInfo& c) {
  bj::object brokers;
  for (const auto& [name, b] : c.broker_addr_table) brokers[name] = broker_data_json(b);
  bj::object clusters;
  for (const auto& [cluster, names] : c.cluster_addr_table) {
    bj::array a;
    for (const auto& n : names) a.emplace_back(n);
    clusters[cluster] = std::move(a);
  }
  bj::object o;
  o["brokerAddrTable"] = std::move(brokers);
  o["clusterAddrTable"] = std::move(clusters);
  return json::serialize(bj::value(std::move(o)), /*bare_numeric_keys=*/true);
}

rt::Result<ClusterInfo> decode_cluster_info(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  const auto* o = as_object(&*v);
  if (!o) return bad("cluster info is not a JSON object");
  ClusterInfo c;
  if (const auto* bt = as_object(o->if_contains("brokerAddrTable"))) {
    for (const auto& kv : *bt) {
      const auto* b = as_object(&kv.value());
      if (!b) return bad("brokerAddrTable entry is not an object");
      auto d = broker_data_from(*b);
      if (!d) return d.error();
      c.broker_addr_table[std::string(kv.key())] = std::move(*d);
    }
  }
  if (const auto* ct = as_object(o->if_contains("clusterAddrTable"))) {
    for (const auto& kv : *ct) {
      auto& names = c.cluster_addr_table[std::string(kv.key())];
      if (const auto* a = as_array(&kv.value()))
        for (const auto& n : *a)
          if (n.is_string()) names.emplace(n.get_string());
    }
  }
  return c;
}

std::string encode_topic_list(const std::vector<std::string>& topics) {
  bj::array a;
  for (const auto& t : topics) a.emplace_back(t);
  bj::object o;
  o["topicList"] = std::move(a);
  return json::serialize(bj::value(std::move(o)));
}

rt::Result<std::vector<std::string>> decode_topic_list(std::string_view text) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  const auto* o = as_object(&*v);
  if (!o) return bad("topic list is not a JSON object");
  std::vector<std::string> out;
  if (const auto* a = as_array(o->if_contains("topicList")))
    for (const auto& t : *a)
      if (t.is_string()) out.emplace_back(t.get_string());
  return out;
}

}  // namespace rmq::remoting
