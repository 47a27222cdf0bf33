// broker_config_properties (GET_BROKER_CONFIG) writes every key
// broker_config_from reads, and parsing what it writes gives the same
// settings back, for the defaults and for a config far from them.
#include <gtest/gtest.h>

#include "broker/broker_config.h"

namespace rmq::broker {
namespace {

rt::Result<BrokerConfig> parse(const std::map<std::string, std::string>& kv, std::vector<std::string>* unread = nullptr) {
  common::Properties p;
  for (const auto& [k, v] : kv) p.set(k, v);
  auto c = broker_config_from(p);
  if (unread) *unread = p.unknown_keys();
  return c;
}

TEST(BrokerConfigProperties, WhatIsWrittenParsesBackToTheSameSettings) {
  const std::map<std::string, std::string> far = {
      {"brokerClusterName", "C1"},       {"brokerName", "b-9"},          {"brokerId", "2"},
      {"brokerRole", "SLAVE"},           {"namesrvAddr", "10.0.0.1:9876;10.0.0.2:9876"},
      {"brokerIP1", "10.1.2.3"},         {"brokerIP2", "10.1.2.4"},      {"listenPort", "10921"},
      {"haListenPort", "10930"},         {"flushDiskType", "SYNC_FLUSH"}, {"brokerPermission", "4"},
      {"messageDelayLevel", "1s 2m 3h"}, {"slaveReadEnable", "true"},    {"transferMsgByHeap", "false"},
      {"syncFlushTimeout", "1234"},      {"metricsExporterType", "PROM"}, {"metricsPromExporterPort", "6000"},
      {"autoCreateTopicEnable", "false"}, {"transactionTimeOut", "7000"}, {"deleteWhen", "03"}};
  for (const auto& input : {std::map<std::string, std::string>{}, far}) {
    auto first = parse(input);
    ASSERT_TRUE(first.ok()) << first.error().message();
    const auto written = broker_config_properties(*first);
    std::vector<std::string> unread;
    auto again = parse(written, &unread);
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_TRUE(unread.empty()) << "written but never read: " << unread.front();  // every key is a real one
    EXPECT_EQ(broker_config_properties(*again), written);
    for (const auto& [k, v] : input) EXPECT_EQ(written.at(k), v) << k;  // the values in force
  }
}

}  // namespace
}  // namespace rmq::broker
