// A broker with metricsExporterType=PROM serves /metrics, and what it says
// follows what producers and consumers did: messages and bytes in by topic
// and message type, out by group, a DLQ'd message, request latencies by
// code, store positions, consumer lag and connections.
#include <map>

#include "client/producer.h"
#include "client/pull_consumer.h"
#include "client/push_consumer.h"
#include "client_test_util.h"

namespace rmq::client {
namespace {

using namespace test_util;

// GET /metrics from the broker; the body, or "" on any failure.
std::string scrape(rt::Runtime& rt, const std::string& addr) {
  auto c = rt.connect(addr, 3s);
  if (!c) return "";
  const std::string req = "GET /metrics HTTP/1.0\r\n\r\n";
  if (!(*c)->write_all(std::as_bytes(std::span(req)), 3s)) return "";
  std::string got;
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    auto n = (*c)->read_some(rt::MutableBytes(buf), 3s);
    if (!n) return "";
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  if (!got.starts_with("HTTP/1.1 200 OK\r\n")) return "";
  return got.substr(got.find("\r\n\r\n") + 4);
}

// The value of the sample named exactly `series` (name and labels); -1 when absent.
double value_of(const std::string& text, const std::string& series) {
  const std::string line_start = "\n" + series + " ";
  const auto at = ("\n" + text).find(line_start);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + line_start.size() - 1));
}

const std::string kNode = R"(cluster="DefaultCluster",node_type="broker",node_id="broker-a")";

TEST(Metrics, TheBrokersMetricsFollowWhatClientsDid) {
  Cluster k(21, 1, [](broker::BrokerConfig& c) { c.metrics.prometheus = true; });
  const std::string metrics_addr = k.cfg.broker_ip + ":5557";
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = std::string(100, 'x')}).ok());
    ASSERT_TRUE(p.send({.topic = "T", .body = "later", .delay_level = 1}).ok());
    rt.sleep_for(100ms);
    const std::string before = scrape(rt, metrics_addr);
    ASSERT_FALSE(before.empty());
    EXPECT_EQ(value_of(before, "rocketmq_messages_in_total{" + kNode + R"(,topic="T",message_type="Normal"})"), 3);
    EXPECT_EQ(value_of(before, "rocketmq_throughput_in_total{" + kNode + R"(,topic="T",message_type="Normal"})"), 300);
    EXPECT_EQ(value_of(before, "rocketmq_messages_in_total{" + kNode + R"(,topic="T",message_type="Delay"})"), 1);
    EXPECT_EQ(value_of(before, "rocketmq_message_size_bucket{" + kNode +
                                   R"(,topic="T",message_type="Normal",le="1024"})"),
              3);
    EXPECT_EQ(value_of(before, "rocketmq_rpc_latency_count{" + kNode +
                                   R"(,protocol_type="remoting",request_code="310",response_code="0"})"),
              4);
    EXPECT_EQ(value_of(before, R"(rmq_delay_backlog_messages{)" + kNode + R"(,delay_level="1"})"), 1);
    EXPECT_GT(value_of(before, R"(rmq_store_commitlog_offset_bytes{)" + kNode + R"(,position="appended"})"), 0);
    EXPECT_EQ(value_of(before, "rocketmq_producer_connections{" + kNode + "}"), 1);

    // A consumer takes them all, fails one for good (to the DLQ), commits.
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset, .max_reconsume_times = 0});
    c.subscribe("T");
    int seen = 0;
    c.start([&](const ReceivedMessage& m) {
      ++seen;
      return m.body == "later" ? ConsumeResult::reconsume_later : ConsumeResult::success;
    });
    for (int i = 0; i < 100 && seen < 4; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(seen, 4);
    rt.sleep_for(6s);  // offsets committed and flushed
    const std::string after = scrape(rt, metrics_addr);
    EXPECT_EQ(value_of(after, "rocketmq_messages_out_total{" + kNode + R"(,topic="T",consumer_group="CG"})"), 4);
    EXPECT_EQ(value_of(after, "rocketmq_send_to_dlq_messages_total{" + kNode + R"(,topic="T",consumer_group="CG"})"), 1);
    EXPECT_EQ(value_of(after, "rocketmq_consumer_lag_messages{" + kNode +
                                  R"(,topic="T",consumer_group="CG",is_retry="false",is_system="false"})"),
              0);
    EXPECT_EQ(value_of(after, "rmq_consumer_queue_lag_messages{" + kNode + R"(,topic="T",consumer_group="CG",queue_id="0"})"),
              0);
    EXPECT_EQ(value_of(after, "rocketmq_consumer_connections{" + kNode + "}"), 1);
    EXPECT_EQ(value_of(after, R"(rmq_delay_backlog_messages{)" + kNode + R"(,delay_level="1"})"), 0);
    EXPECT_GE(value_of(after, "rmq_long_polls_held{" + kNode + "}"), 1);  // the consumer's pull waits
    c.shutdown();
    mq.stop();
  });
}

TEST(Metrics, ABrokerWithoutTheExporterServesNoMetrics) {
  Cluster k(22);
  k.client("app", [&](rt::Runtime& rt, const std::string&) {
    auto c = rt.connect(k.cfg.broker_ip + ":5557", 3s);
    EXPECT_FALSE(c.ok());
  });
}

}  // namespace
}  // namespace rmq::client
