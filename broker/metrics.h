// The broker's metrics, served at /metrics when metricsExporterType=PROM
// (RocketMQ 5's keys: metricsPromExporterHost, default brokerIP1, and
// metricsPromExporterPort, default 5557). Every sample carries
// cluster=<brokerClusterName>, node_type="broker", node_id=<brokerName>, as
// RocketMQ's exporter labels them.
//
// Fed as things happen (this class), with RocketMQ's names:
//   rocketmq_messages_in_total, rocketmq_throughput_in_total and
//     rocketmq_message_size{topic, message_type} - stored sends, their body
//     bytes and sizes (message_type Normal, FIFO, Delay or Transaction, told
//     from the properties as RocketMQ does);
//   rocketmq_messages_out_total, rocketmq_throughput_out_total{topic,
//     consumer_group} - messages and bytes pulls handed out;
//   rocketmq_send_to_dlq_messages_total{topic, consumer_group} - messages
//     a consumer gave up on that went to its DLQ (topic: the original one);
//   rocketmq_rpc_latency (remoting/request_metrics.h).
// Read at scrape time (Broker::collect_metrics, metrics.cc): store
// positions and lags, per-group and per-queue consumer lag, connections,
// held long polls, topic and group counts, permission, delay-level backlog
// and replication lag (docs/operations.md lists them).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "broker/broker_config.h"
#include "common/message_format.h"
#include "common/metrics.h"
#include "remoting/request_metrics.h"

namespace rmq::broker {

enum class MessageType { normal, fifo, delay, transaction };
// RocketMQ's rule: transactional if TRAN_MSG, else FIFO with a SHARDING_KEY,
// else Delay with a delay level (or a timer property), else Normal.
MessageType message_type_of(const common::MessageProperties& props);
std::string_view to_string(MessageType t);  // "Normal", "FIFO", "Delay", "Transaction"

class BrokerMetrics {
 public:
  explicit BrokerMetrics(const BrokerConfig& cfg);

  common::metrics::Registry& registry() { return registry_; }

  // A stored send of `messages` messages with `body_bytes` bytes of bodies.
  void on_put(std::string_view topic, MessageType type, int64_t messages, int64_t body_bytes);
  void on_pull(std::string_view topic, std::string_view group, int64_t messages, int64_t bytes);
  void on_dlq(std::string_view topic, std::string_view group);
  remoting::RequestMetrics& requests() { return requests_; }

 private:
  struct In {
    common::metrics::Counter* messages = nullptr;
    common::metrics::Counter* bytes = nullptr;
    common::metrics::Histogram* size = nullptr;
  };
  struct Out {
    common::metrics::Counter* messages = nullptr;
    common::metrics::Counter* bytes = nullptr;
  };
  common::metrics::Registry registry_;
  remoting::RequestMetrics requests_;
  // Handles by label values, so a hot path looks one up without building labels.
  std::map<std::string, std::array<In, 4>, std::less<>> in_;  // topic -> by message type
  std::map<std::string, std::map<std::string, Out, std::less<>>, std::less<>> out_;  // topic -> group
};

}  // namespace rmq::broker
