// RouteTable rules: masters update topic routes, slaves get their master,
// expiry after the broker's timeout, removal by connection, unregistering.
#include <gtest/gtest.h>

#include "namesrv/route_table.h"

namespace rmq::namesrv {
namespace {

using namespace std::chrono_literals;

Registration reg(std::string name, int64_t id, std::string addr, int64_t dv_counter = 1) {
  Registration r;
  r.cluster_name = "DefaultCluster";
  r.broker_name = std::move(name);
  r.broker_id = id;
  r.broker_addr = addr;
  r.ha_server_addr = addr + "-ha";
  r.connection = addr + "-conn";
  r.data_version = DataVersion{1000, dv_counter, 0};
  TopicConfig t;
  t.topic_name = "T";
  t.read_queue_nums = 4;
  t.write_queue_nums = 2;
  r.topics["T"] = t;
  return r;
}

TEST(RouteTable, MasterRegistrationCreatesRouteWithAllBrokerAddresses) {
  RouteTable t;
  EXPECT_TRUE(t.register_broker(reg("a", 0, "10.0.0.1:10911"), rt::Instant(0s)).first_registration);
  auto slave = t.register_broker(reg("a", 1, "10.0.0.2:10911"), rt::Instant(0s));
  EXPECT_EQ(slave.master_addr, "10.0.0.1:10911");
  EXPECT_EQ(slave.ha_server_addr, "10.0.0.1:10911-ha");
  auto r = t.route("T");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->queue_datas.size(), 1u);
  EXPECT_EQ(r->queue_datas[0].read_queue_nums, 4);
  EXPECT_EQ(r->queue_datas[0].write_queue_nums, 2);
  ASSERT_EQ(r->broker_datas.size(), 1u);
  EXPECT_EQ(r->broker_datas[0].broker_addrs.size(), 2u);
  EXPECT_FALSE(t.route("missing").has_value());
}

TEST(RouteTable, ASlaveDoesNotChangeTopicRoutesWhileItsMasterIsRegistered) {
  RouteTable t;
  t.register_broker(reg("a", 0, "10.0.0.1:10911"), rt::Instant(0s));
  auto s = reg("a", 1, "10.0.0.2:10911");
  s.topics["OnlyOnSlave"] = s.topics["T"];
  s.topics["T"].read_queue_nums = 8;
  t.register_broker(s, rt::Instant(0s));
  EXPECT_FALSE(t.route("OnlyOnSlave").has_value());
  EXPECT_EQ(t.route("T")->queue_datas[0].read_queue_nums, 4);
}

// A master lost, its slave restarted meanwhile: the slave's registration
// brings the topics back into the routes, read from the slave, until the
// master registers again and its config wins.
TEST(RouteTable, ASlaveWithoutItsMasterKeepsItsTopicsReadable) {
  RouteTable t;
  t.register_broker(reg("a", 0, "10.0.0.1:10911"), rt::Instant(0s));
  t.register_broker(reg("a", 1, "10.0.0.2:10911"), rt::Instant(0s));
  t.remove_connection("10.0.0.1:10911-conn");
  t.remove_connection("10.0.0.2:10911-conn");
  EXPECT_FALSE(t.route("T").has_value());  // every address of the name left
  auto s = reg("a", 1, "10.0.0.2:10911");
  s.topics["T"].read_queue_nums = 8;
  t.register_broker(s, rt::Instant(1s));
  auto r = t.route("T");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->queue_datas.size(), 1u);
  EXPECT_EQ(r->queue_datas[0].read_queue_nums, 8);
  ASSERT_EQ(r->broker_datas.size(), 1u);
  EXPECT_EQ(r->broker_datas[0].broker_addrs.size(), 1u);
  EXPECT_EQ(r->broker_datas[0].broker_addrs.count(1), 1u);
  // The master is back: its config replaces the slave's, and a topic only
  // the slave still had (deleted on the master) leaves the routes.
  s.topics["Deleted"] = s.topics["T"];
  t.register_broker(s, rt::Instant(1s));
  ASSERT_TRUE(t.route("Deleted").has_value());
  t.register_broker(reg("a", 0, "10.0.0.1:10911"), rt::Instant(2s));
  EXPECT_EQ(t.route("T")->queue_datas[0].read_queue_nums, 4);
  EXPECT_FALSE(t.route("Deleted").has_value());
}

TEST(RouteTable, UnchangedDataVersionDoesNotRewriteQueues) {
  RouteTable t;
  t.register_broker(reg("a", 0, "x:1"), rt::Instant(0s));
  auto same = reg("a", 0, "x:1");
  same.topics["T"].write_queue_nums = 8;  // ignored: same DataVersion
  t.register_broker(same, rt::Instant(1s));
  EXPECT_EQ(t.route("T")->queue_datas[0].write_queue_nums, 2);
  auto newer = reg("a", 0, "x:1", 2);
  newer.topics["T"].write_queue_nums = 8;
  t.register_broker(newer, rt::Instant(2s));
  EXPECT_EQ(t.route("T")->queue_datas[0].write_queue_nums, 8);
}

TEST(RouteTable, ExpiresAfterTimeoutNotBefore) {
  RouteTable t;
  t.register_broker(reg("a", 0, "x:1"), rt::Instant(0s));
  t.register_broker(reg("b", 0, "y:1"), rt::Instant(0s));
  t.register_broker(reg("b", 0, "y:1"), rt::Instant(100s));
  EXPECT_TRUE(t.expire(rt::Instant(120s)).empty());
  EXPECT_EQ(t.expire(rt::Instant(121s)), (std::vector<std::string>{"x:1"}));
  EXPECT_FALSE(t.is_live("x:1"));
  auto r = t.route("T");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->broker_datas.size(), 1u);
  EXPECT_EQ(r->broker_datas[0].broker_name, "b");
  EXPECT_EQ(t.cluster_info().cluster_addr_table.at("DefaultCluster").size(), 1u);
}

TEST(RouteTable, ConnectionCloseRemovesItsBrokersOnly) {
  RouteTable t;
  t.register_broker(reg("a", 0, "x:1"), rt::Instant(0s));
  t.register_broker(reg("b", 0, "y:1"), rt::Instant(0s));
  EXPECT_EQ(t.remove_connection("x:1-conn"), (std::vector<std::string>{"x:1"}));
  EXPECT_TRUE(t.is_live("y:1"));
  EXPECT_TRUE(t.remove_connection("nobody").empty());
}

TEST(RouteTable, UnregisterAndDeleteTopic) {
  RouteTable t;
  t.register_broker(reg("a", 0, "x:1"), rt::Instant(0s));
  EXPECT_TRUE(t.unregister_broker("DefaultCluster", "a", "x:1", 0));
  EXPECT_FALSE(t.route("T").has_value());
  EXPECT_TRUE(t.cluster_info().broker_addr_table.empty());
  t.register_broker(reg("a", 0, "x:1", 5), rt::Instant(0s));
  EXPECT_EQ(t.topics(), (std::vector<std::string>{"T"}));
  EXPECT_EQ(t.topics_of_cluster("DefaultCluster"), (std::vector<std::string>{"T"}));
  t.delete_topic("T", std::nullopt);
  EXPECT_TRUE(t.topics().empty());
}

TEST(RouteTable, SlavePromotedToMasterMovesItsAddress) {
  RouteTable t;
  t.register_broker(reg("a", 1, "x:2"), rt::Instant(0s));
  t.register_broker(reg("a", 0, "x:2"), rt::Instant(1s));
  const auto& addrs = t.cluster_info().broker_addr_table.at("a").broker_addrs;
  EXPECT_EQ(addrs.size(), 1u);
  EXPECT_EQ(addrs.at(0), "x:2");
}

}  // namespace
}  // namespace rmq::namesrv

namespace rmq::namesrv {
namespace {

TEST(RouteTable, AnUnchangedDataVersionQueryIsAHeartbeatAndAChangedOneIsNot) {
  RouteTable t;
  const DataVersion v{1000, 1, 0};
  // Not registered: changed, and nothing known.
  auto unknown = t.check_data_version("x:1", v, rt::Instant(0s));
  EXPECT_TRUE(unknown.changed);
  EXPECT_FALSE(unknown.known.has_value());
  Registration r = reg("a", 0, "x:1");
  r.timeout = 120s;
  t.register_broker(r, rt::Instant(0s));
  // Queries with the same version keep it alive well past its timeout.
  for (int s = 100; s <= 400; s += 100) {
    auto same = t.check_data_version("x:1", v, rt::Instant(std::chrono::seconds(s)));
    EXPECT_FALSE(same.changed);
    EXPECT_EQ(same.known, v);
    EXPECT_TRUE(t.expire(rt::Instant(std::chrono::seconds(s + 10))).empty());
  }
  // Another version is no heartbeat: the broker expires 120 s after the last one.
  auto other = t.check_data_version("x:1", DataVersion{1000, 2, 0}, rt::Instant(450s));
  EXPECT_TRUE(other.changed);
  EXPECT_EQ(other.known, v);
  EXPECT_EQ(t.expire(rt::Instant(521s)), std::vector<std::string>{"x:1"});
  EXPECT_FALSE(t.live("x:1"));
}

}  // namespace
}  // namespace rmq::namesrv
