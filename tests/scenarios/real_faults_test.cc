// rmq-chaos's links: every connection a real cluster's nodes make goes
// through the proxy, so a plan may clog, slow or reset any pair that
// talks, servers included, and is refused for a pair that never does.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>

#include "scenarios/fault_plan.h"
#include "scenarios/real/faults.h"

namespace rmq::chaos {
namespace {

using scenarios::FaultEvent;
using scenarios::FaultKind;

std::set<std::tuple<std::string, std::string, int>> links_of(const RealShape& s) {
  std::set<std::tuple<std::string, std::string, int>> out;
  std::set<uint16_t> ports;
  for (const auto& l : proxy_links(s)) {
    out.insert({l.from, l.to, l.to_port});
    EXPECT_TRUE(ports.insert(l.port).second) << "port " << l.port << " used twice";
    EXPECT_EQ(l.to_address.substr(l.to_address.rfind(':') + 1), std::to_string(l.to_port));
  }
  return out;
}

TEST(RealFaults, EveryConnectionOfAMasterSlaveClusterGoesThroughTheProxy) {
  const RealShape s = real_shape("master-crash", 1);  // namesrv, master0/slave0, master1/slave1, 2 producers, 2 consumers
  const auto links = links_of(s);
  // A slave's metadata sync and its replication stream, to its own master only.
  EXPECT_TRUE(links.count({"slave0", "master0", 10911}));
  EXPECT_TRUE(links.count({"slave0", "master0", 10912}));
  EXPECT_FALSE(links.count({"slave0", "master1", 10912}));
  // Every broker registers with the namesrv; clients ask it for routes and
  // talk to every broker, slaves included.
  for (const char* b : {"master0", "slave0", "master1", "slave1"}) {
    EXPECT_TRUE(links.count({b, "namesrv", 9876})) << b;
    for (const char* c : {"producer0", "consumer1"}) EXPECT_TRUE(links.count({c, b, 10911})) << c << " " << b;
  }
  EXPECT_TRUE(links.count({"consumer0", "namesrv", 9876}));
  // A namesrv connects to nobody, a master to no other broker.
  for (const auto& [from, to, port] : links) {
    EXPECT_NE(from, "namesrv");
    EXPECT_FALSE(from.rfind("master", 0) == 0 && to != "namesrv") << from << " -> " << to;
  }
  // 4 brokers + 4 clients to the namesrv, 4 clients x 4 brokers, 2 slaves x 2 ports.
  EXPECT_EQ(links.size(), 8u + 16u + 4u);
}

TEST(RealFaults, ClogsLatencyAndResetsGoOnAnyLinkThatTalksAndNowhereElse) {
  const RealShape s = real_shape("master-crash", 1);
  auto why = [&](FaultKind k, const std::string& a, const std::string& b) {
    FaultEvent e;
    e.kind = k;
    e.node = a;
    e.peer = b;
    return unsupported(e, s);
  };
  for (FaultKind k : {FaultKind::clog, FaultKind::unclog, FaultKind::latency, FaultKind::reset}) {
    EXPECT_EQ(why(k, "master0", "slave0"), "");
    EXPECT_EQ(why(k, "slave0", "master0"), "");  // either way round
    EXPECT_EQ(why(k, "master1", "namesrv"), "");
    EXPECT_EQ(why(k, "namesrv", "consumer0"), "");
    EXPECT_EQ(why(k, "producer1", "slave1"), "");
    EXPECT_NE(why(k, "master0", "master1").find("never connect"), std::string::npos);
    EXPECT_NE(why(k, "producer0", "consumer0").find("never connect"), std::string::npos);
  }
  EXPECT_EQ(why(FaultKind::partition, "master0", "master1"), "");  // a drop rule needs no link
  EXPECT_NE(why(FaultKind::power_loss, "master0", ""), "");
}

}  // namespace
}  // namespace rmq::chaos
