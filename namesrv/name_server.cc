#include "namesrv/name_server.h"

#include <zlib.h>

#include <fmt/format.h>

#include <boost/json.hpp>

#include "common/json.h"
#include "remoting/codes.h"
#include "remoting/headers_admin.h"
#include "remoting/header_fields.h"
#include "remoting/headers_namesrv.h"

namespace rmq::namesrv {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::Connection;
using remoting::RemotingCommand;

namespace {

constexpr const char* kOrderTopicConfigNamespace = "ORDER_TOPIC_CONFIG";
// Clients from V4_9_4 on get standard JSON (quoted numeric keys).
constexpr int32_t kStandardJsonVersion = 401;

RemotingCommand error_response(const RemotingCommand& req, int32_t code, std::string remark) {
  return RemotingCommand::response_to(req, code, std::move(remark));
}

RemotingCommand ok_response(const RemotingCommand& req) { return RemotingCommand::response_to(req, rs::kSuccess); }

std::string kv_table_json(const std::map<std::string, std::string>& kvs) {
  boost::json::object table;
  for (const auto& [k, v] : kvs) table[k] = v;
  boost::json::object o;
  o["table"] = std::move(table);
  return json::serialize(boost::json::value(std::move(o)));
}

}  // namespace

NameServer::NameServer(rt::Runtime& rt, NamesrvConfig cfg)
    : rt_(rt),
      cfg_(std::move(cfg)),
      kv_(rt.fs(), cfg_.kv_config_path),
      metrics_({{"node_type", "nameserver"}, {"node_id", cfg_.listen_address}}),
      requests_(metrics_),
      server_(rt, dispatcher_, cfg_.connection) {
  install_processors();
  namespace m = common::metrics;
  metrics_.declare("rmq_namesrv_live_brokers", m::Kind::gauge, "Broker addresses registered and live.");
  metrics_.declare("rmq_namesrv_topics", m::Kind::gauge, "Topics with a route.");
  metrics_.declare("rmq_remoting_connections", m::Kind::gauge, "Open remoting connections.");
  metrics_.add_collector([this](m::Scrape& s) {
    s.set("rmq_namesrv_live_brokers", {}, static_cast<double>(routes_.live_brokers()));
    s.set("rmq_namesrv_topics", {}, static_cast<double>(routes_.topics().size()));
    s.set("rmq_remoting_connections", {}, static_cast<double>(server_.connections().size()));
  });
}

NameServer::~NameServer() { stop(); }

rt::Result<void> NameServer::start() {
  if (auto loaded = kv_.load(); !loaded) return loaded;
  server_.on_close([this](Connection& c) { log_removed(routes_.remove_connection(c.peer_address()), "connection closed"); });
  if (auto listening = server_.start(cfg_.listen_address); !listening) return listening;
  if (cfg_.metrics.prometheus) {
    http_ = std::make_unique<remoting::HttpServer>(rt_);
    http_->get("/metrics", [this] {
      return remoting::HttpResponse{.content_type = std::string(common::metrics::kContentType),
                                    .body = metrics_.render()};
    });
    if (auto r = http_->start(cfg_.metrics.address("0.0.0.0")); !r)
      return rt::Error(r.error().code(), "metrics exporter: " + r.error().message());
  }
  scan_ = rt_.spawn("namesrv-scan", [this] { scan_loop(); });
  rt_.log(rt::LogLevel::info, "namesrv listening on " + server_.address());
  return {};
}

void NameServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (scan_.valid()) {
    scan_.cancel();
    (void)scan_.join();
  }
  if (http_) http_->stop();
  server_.stop();
}

void NameServer::scan_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.scan_interval);
    log_removed(routes_.expire(rt_.now()), "no registration for too long");
  }
}

void NameServer::log_removed(const std::vector<std::string>& addrs, const char* why) {
  for (const auto& a : addrs) rt_.log(rt::LogLevel::info, "broker removed: addr=" + a + " (" + why + ")");
}

void NameServer::install_processors() {
  // Every processor timed (rocketmq_rpc_latency).
  auto on = [this](int32_t code, remoting::Processor p) { dispatcher_.on(code, requests_.timed(rt_, std::move(p))); };
  on(rc::kRegisterBroker, [this](Connection& from, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::RegisterBrokerRequestHeader::decode(req);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    if (h->body_crc32 != 0) {
      const auto crc = static_cast<int32_t>(
          crc32(0, reinterpret_cast<const Bytef*>(req.body.data()), static_cast<uInt>(req.body.size())) & 0x7fffffff);
      if (crc != h->body_crc32) return error_response(req, rs::kSystemError, "crc32 not match");
    }
    Registration r;
    r.cluster_name = h->cluster_name;
    r.broker_name = h->broker_name;
    r.broker_addr = h->broker_addr;
    r.ha_server_addr = h->ha_server_addr;
    r.broker_id = h->broker_id;
    r.connection = from.peer_address();
    r.timeout = h->heartbeat_timeout_millis ? std::chrono::milliseconds(*h->heartbeat_timeout_millis)
                                            : cfg_.broker_timeout;
    if (!req.body.empty()) {
      auto body = remoting::decode_register_broker_body(req.body, h->compressed);
      if (!body) return error_response(req, rs::kSystemError, "bad register body: " + body.error().detail());
      r.data_version = body->data_version;
      r.topics = std::move(body->topic_config_table);
    }
    const RegisterResult result = routes_.register_broker(r, rt_.now());
    if (result.first_registration)
      rt_.log(rt::LogLevel::info, "broker registered: cluster=" + r.cluster_name + " name=" + r.broker_name +
                                      " id=" + std::to_string(r.broker_id) + " addr=" + r.broker_addr +
                                      " topics=" + std::to_string(r.topics.size()));
    RemotingCommand resp = ok_response(req);
    remoting::RegisterBrokerResponseHeader rh;
    rh.master_addr = result.master_addr;
    rh.ha_server_addr = result.ha_server_addr;
    rh.encode(resp);
    if (const auto* order = kv_.list(kOrderTopicConfigNamespace)) resp.body = remoting::to_bytes(kv_table_json(*order));
    return resp;
  });

  on(rc::kQueryDataVersion, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::QueryDataVersionRequestHeader::decode(req);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    auto v = remoting::decode_data_version(
        std::string_view(reinterpret_cast<const char*>(req.body.data()), req.body.size()));
    if (!v) return error_response(req, rs::kSystemError, "bad data version body: " + v.error().detail());
    const auto check = routes_.check_data_version(h->broker_addr, *v, rt_.now());
    RemotingCommand resp = ok_response(req);
    remoting::QueryDataVersionResponseHeader{.changed = check.changed}.encode(resp);
    if (check.known) resp.body = remoting::to_bytes(remoting::encode_data_version(*check.known));
    return resp;
  });

  on(rc::kUnregisterBroker, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::UnregisterBrokerRequestHeader::decode(req);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    if (routes_.unregister_broker(h->cluster_name, h->broker_name, h->broker_addr, h->broker_id))
      log_removed({h->broker_addr}, "unregistered");
    return ok_response(req);
  });

  on(rc::kGetRouteinfoByTopic, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::GetRouteInfoRequestHeader::decode(req);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    auto route = routes_.route(h->topic);
    if (!route)
      return error_response(req, rs::kTopicNotExist, "No topic route info in name server for the topic: " + h->topic);
    const bool standard = req.version >= kStandardJsonVersion || h->accept_standard_json_only.value_or(false);
    RemotingCommand resp = ok_response(req);
    resp.body = remoting::to_bytes(remoting::encode_topic_route(*route, standard));
    return resp;
  });

  on(rc::kGetBrokerClusterInfo, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    RemotingCommand resp = ok_response(req);
    resp.body = remoting::to_bytes(remoting::encode_cluster_info(routes_.cluster_info()));
    return resp;
  });

  on(rc::kGetAllTopicListFromNameserver,
                 [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
                   RemotingCommand resp = ok_response(req);
                   resp.body = remoting::to_bytes(remoting::encode_topic_list(routes_.topics()));
                   return resp;
                 });

  on(rc::kGetTopicsByCluster, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto cluster = req.field("cluster");
    if (!cluster) return error_response(req, rs::kSystemError, "missing required header field 'cluster'");
    RemotingCommand resp = ok_response(req);
    resp.body = remoting::to_bytes(remoting::encode_topic_list(routes_.topics_of_cluster(std::string(*cluster))));
    return resp;
  });

  on(rc::kDeleteTopicInNamesrv, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::DeleteTopicFromNamesrvRequestHeader::decode(req);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    routes_.delete_topic(h->topic, h->cluster_name);
    return ok_response(req);
  });

  // Operators take a broker's writes away before maintenance (and give them back).
  for (const int32_t code : {rc::kWipeWritePermOfBroker, rc::kAddWritePermOfBroker}) {
    const bool writable = code == rc::kAddWritePermOfBroker;
    on(code, [this, writable](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
      auto h = remoting::BrokerPermRequestHeader::decode(req);
      if (!h) return error_response(req, rs::kSystemError, h.error().detail());
      const int32_t touched = routes_.set_write_perm(h->broker_name, writable);
      rt_.log(rt::LogLevel::info, fmt::format("{} write permission of broker {} on {} topic(s)",
                                              writable ? "added" : "wiped", h->broker_name, touched));
      auto resp = ok_response(req);
      remoting::BrokerPermResponseHeader{touched}.encode(resp, req.code);
      return resp;
    });
  }

  on(rc::kPutKvConfig, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::KvConfigRequestHeader::decode(req, /*value_required=*/true);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    if (auto put = kv_.put(h->name_space, h->key, *h->value); !put)
      return error_response(req, rs::kSystemError, "persisting KV config failed: " + put.error().message());
    return ok_response(req);
  });

  on(rc::kGetKvConfig, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::KvConfigRequestHeader::decode(req, false);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    auto v = kv_.get(h->name_space, h->key);
    if (!v)
      return error_response(req, rs::kQueryNotFound,
                            "No config item, Namespace: " + h->name_space + " Key: " + h->key);
    RemotingCommand resp = ok_response(req);
    remoting::GetKvConfigResponseHeader{*v}.encode(resp);
    return resp;
  });

  on(rc::kDeleteKvConfig, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto h = remoting::KvConfigRequestHeader::decode(req, false);
    if (!h) return error_response(req, rs::kSystemError, h.error().detail());
    if (auto removed = kv_.remove(h->name_space, h->key); !removed)
      return error_response(req, rs::kSystemError, "persisting KV config failed: " + removed.error().message());
    return ok_response(req);
  });

  on(rc::kGetKvlistByNamespace, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
    auto ns = req.field("namespace");
    if (!ns) return error_response(req, rs::kSystemError, "missing required header field 'namespace'");
    const auto* kvs = kv_.list(std::string(*ns));
    if (!kvs) return error_response(req, rs::kQueryNotFound, "No config item, Namespace: " + std::string(*ns));
    RemotingCommand resp = ok_response(req);
    resp.body = remoting::to_bytes(kv_table_json(*kvs));
    return resp;
  });
}

}  // namespace rmq::namesrv
