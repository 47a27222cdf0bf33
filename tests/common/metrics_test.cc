// The metrics registry writes Prometheus's text format: families with help
// and type, samples ordered by labels with the node's constant labels first,
// cumulative histogram buckets, escaped label values, collectors read at
// scrape time.
#include "common/metrics.h"

#include <gtest/gtest.h>

namespace rmq::common::metrics {
namespace {

TEST(Metrics, CountersGaugesAndHistogramsRenderInTheTextFormat) {
  Registry r({{"cluster", "C"}, {"node_type", "broker"}});
  r.declare("rocketmq_messages_in_total", Kind::counter, "Messages put.");
  r.declare("rocketmq_rpc_latency", Kind::histogram, "Request latency, ms.", {1, 10});
  r.declare("rmq_lag", Kind::gauge, "A gauge.");
  r.counter("rocketmq_messages_in_total", {{"topic", "B"}}).add(2);
  Counter& a = r.counter("rocketmq_messages_in_total", {{"topic", "A"}});
  a.add(1);
  a.add(0.5);
  auto& h = r.histogram("rocketmq_rpc_latency", {{"request_code", "10"}});
  for (double v : {0.5, 1.0, 3.0, 50.0}) h.observe(v);
  int scrapes = 0;
  r.add_collector([&](Scrape& s) { s.set("rmq_lag", {{"queue_id", "0"}}, ++scrapes * 10); });
  const std::string text = r.render();
  EXPECT_EQ(text,
            "# HELP rmq_lag A gauge.\n"
            "# TYPE rmq_lag gauge\n"
            "rmq_lag{cluster=\"C\",node_type=\"broker\",queue_id=\"0\"} 10\n"
            "# HELP rocketmq_messages_in_total Messages put.\n"
            "# TYPE rocketmq_messages_in_total counter\n"
            "rocketmq_messages_in_total{cluster=\"C\",node_type=\"broker\",topic=\"A\"} 1.5\n"
            "rocketmq_messages_in_total{cluster=\"C\",node_type=\"broker\",topic=\"B\"} 2\n"
            "# HELP rocketmq_rpc_latency Request latency, ms.\n"
            "# TYPE rocketmq_rpc_latency histogram\n"
            "rocketmq_rpc_latency_bucket{cluster=\"C\",node_type=\"broker\",request_code=\"10\",le=\"1\"} 2\n"
            "rocketmq_rpc_latency_bucket{cluster=\"C\",node_type=\"broker\",request_code=\"10\",le=\"10\"} 3\n"
            "rocketmq_rpc_latency_bucket{cluster=\"C\",node_type=\"broker\",request_code=\"10\",le=\"+Inf\"} 4\n"
            "rocketmq_rpc_latency_sum{cluster=\"C\",node_type=\"broker\",request_code=\"10\"} 54.5\n"
            "rocketmq_rpc_latency_count{cluster=\"C\",node_type=\"broker\",request_code=\"10\"} 4\n");
  EXPECT_NE(r.render().find("queue_id=\"0\"} 20\n"), std::string::npos);  // read again at each scrape
}

TEST(Metrics, AFamilyWithNoSampleIsLeftOut) {
  Registry r;
  r.declare("rmq_nothing_total", Kind::counter, "None yet.");
  EXPECT_EQ(r.render(), "");
  r.counter("rmq_nothing_total", {}).add(1);
  EXPECT_EQ(r.render(), "# HELP rmq_nothing_total None yet.\n# TYPE rmq_nothing_total counter\nrmq_nothing_total 1\n");
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.declare("rmq_x", Kind::gauge, "back\\slash\nnewline");
  r.add_collector([](Scrape& s) { s.set("rmq_x", {{"topic", "a\"b\\c\nd"}}, 1); });
  EXPECT_EQ(r.render(), "# HELP rmq_x back\\\\slash\\nnewline\n# TYPE rmq_x gauge\nrmq_x{topic=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, NumbersAreWrittenAsTheFormatReadsThem) {
  EXPECT_EQ(Registry::number(12), "12");
  EXPECT_EQ(Registry::number(0.25), "0.25");
  EXPECT_EQ(Registry::number(1e21), "1e+21");
  EXPECT_EQ(Registry::number(1.0 / 0.0), "+Inf");
  EXPECT_EQ(Registry::number(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(Registry::number(0.0 / 0.0), "NaN");
}

TEST(Metrics, ABucketBoundCountsWhatEqualsIt) {
  static const std::vector<double> bounds{1, 3};
  Histogram h(&bounds);
  h.observe(1);
  h.observe(3);
  h.observe(3.5);
  EXPECT_EQ(h.counts(), (std::vector<uint64_t>{1, 1, 1}));
  EXPECT_EQ(h.count(), 3u);
  EXPECT_DOUBLE_EQ(h.sum(), 7.5);
}

TEST(MetricsDeath, UndeclaredFamiliesAndBadNamesAreBugs) {
  Registry r;
  EXPECT_DEATH(r.counter("rmq_undeclared", {}), "rmq_undeclared");
  EXPECT_DEATH(r.declare("9starts_with_a_digit", Kind::gauge, ""), "9starts");
  r.declare("rmq_g", Kind::gauge, "");
  EXPECT_DEATH(r.counter("rmq_g", {}), "rmq_g");  // a gauge is collected, never fed
  r.declare("rmq_c", Kind::counter, "");
  EXPECT_DEATH(r.counter("rmq_c", {{"__reserved", "x"}}), "__reserved");
}

}  // namespace
}  // namespace rmq::common::metrics
