// Namesrv registration at steady state: a full REGISTER_BROKER at start and
// after a topic change, a QUERY_DATA_VERSION keep-alive of constant size
// otherwise, and a full registration again for a namesrv that lost it.
#include "broker_test_util.h"

namespace rmq::broker {
namespace {

using namespace test_util;

// Whether the namesrv has a route for `topic` (asked from a client node).
bool routed(Cluster& cl, const std::string& topic) {
  bool ok = false;
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto req = RemotingCommand::request(rc::kGetRouteinfoByTopic);
    remoting::put_field(req, "topic", topic);
    auto r = c.invoke(cl.namesrv_addr, std::move(req), 3s);
    ok = r && r->code == rs::kSuccess;
  });
  return ok;
}

TEST(Registration, SteadyStateKeepAlivesAreSmallAndKeepTheBrokerRouted) {
  Cluster cl(1);
  ASSERT_NE(cl.broker, nullptr);
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    for (int i = 0; i < 300; ++i) create_topic(c, cl.broker_addr, "Topic-" + std::to_string(i), 4, 4);
  });
  cl.sim.run_for(5s);
  const auto after_creates = cl.broker->register_stats();
  // Five minutes of steady state: keep-alives only, and the namesrv keeps it
  // past its 120 s expiry.
  cl.sim.run_for(5min);
  const auto steady = cl.broker->register_stats();
  EXPECT_EQ(steady.full, after_creates.full);
  EXPECT_GE(steady.keepalives - after_creates.keepalives, 9);
  EXPECT_LT(steady.last_keepalive_bytes, 400);
  EXPECT_GT(steady.last_full_bytes, 10 * steady.last_keepalive_bytes);
  EXPECT_TRUE(routed(cl, "Topic-299"));
}

TEST(Registration, ANamesrvThatLostTheBrokerGetsAFullRegistrationAtTheNextPeriod) {
  Cluster cl(2);
  ASSERT_NE(cl.broker, nullptr);
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "T", 1, 1);
  });
  cl.sim.run_for(40s);
  const auto before = cl.broker->register_stats();
  // The namesrv restarts with empty tables.
  cl.sim.crash(cl.namesrv_node);
  cl.sim.start(cl.namesrv_node);
  cl.sim.run_for(35s);
  EXPECT_GT(cl.broker->register_stats().full, before.full);
  EXPECT_TRUE(routed(cl, "T"));
}

}  // namespace
}  // namespace rmq::broker
