// The NameServer: a route table fed by broker registrations, answered to
// clients (reference 3.1). Stateless apart from the KV config: routes live in
// memory and come back as brokers re-register every 30 s. Several namesrvs
// are independent; none notifies clients.
//
// Tasks: the RPC server's, plus "namesrv-scan", which every scan_interval
// drops brokers silent for longer than their timeout (120 s). A broker whose
// connection closes is dropped at once. One log line per registration change
// (a broker appearing or disappearing), none for routine re-registrations.
#pragma once

#include <memory>
#include <string>

#include "namesrv/kv_config.h"
#include "namesrv/route_table.h"
#include "common/metrics.h"
#include "remoting/http_server.h"
#include "remoting/request_metrics.h"
#include "remoting/rpc.h"
#include "runtime/runtime.h"

namespace rmq::namesrv {

using namespace std::chrono_literals;

struct NamesrvConfig {
  std::string listen_address = "0.0.0.0:9876";
  std::string kv_config_path = "namesrv/kvConfig.json";
  rt::Duration scan_interval = 10s;
  rt::Duration broker_timeout = 120s;  // when the broker does not say
  remoting::ConnectionOptions connection;
  // /metrics (metricsExporterType=PROM; host default 0.0.0.0, port 5557):
  // request latencies by code (rocketmq_rpc_latency), live brokers, topics
  // and connections, labelled node_type="nameserver", node_id=<address>.
  common::metrics::ExporterConfig metrics;
};

class NameServer {
 public:
  NameServer(rt::Runtime& rt, NamesrvConfig cfg);
  ~NameServer();
  NameServer(const NameServer&) = delete;
  NameServer& operator=(const NameServer&) = delete;

  // Loads the KV config, listens and starts the scan task. Suspends.
  rt::Result<void> start();
  // Stops serving and joins every task; idempotent, also run by the
  // destructor (so a cancelled owner unwinds cleanly). Suspends.
  void stop();

  const std::string& address() const { return server_.address(); }
  const RouteTable& routes() const { return routes_; }
  common::metrics::Registry& metrics() { return metrics_; }
  // The bound /metrics address, "" when not served.
  std::string metrics_address() const { return http_ ? http_->address() : std::string(); }

 private:
  void install_processors();
  void scan_loop();
  void log_removed(const std::vector<std::string>& addrs, const char* why);

  rt::Runtime& rt_;
  NamesrvConfig cfg_;
  RouteTable routes_;
  KvConfig kv_;
  common::metrics::Registry metrics_;
  remoting::RequestMetrics requests_;
  remoting::Dispatcher dispatcher_;
  remoting::RpcServer server_;
  std::unique_ptr<remoting::HttpServer> http_;
  rt::Task scan_;
  bool stopped_ = false;
};

}  // namespace rmq::namesrv
