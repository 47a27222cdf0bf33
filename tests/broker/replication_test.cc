// Master/slave as a client sees it (reference 9): SYNC_MASTER's answers, a
// slave's refusals and reads, its metadata sync, and the configuration rules.
#include "broker_test_util.h"
#include "sim/disk.h"

namespace rmq::broker {
namespace {

using namespace test_util;

void sync_master(BrokerConfig& c) {
  c.role = BrokerRole::sync_master;
  c.store.sync_flush_timeout = 2s;
}

TEST(Replication, ASyncMasterWithoutASlaveStoresTheMessageAndAnswersSlaveNotAvailable) {
  Cluster cl(1, sync_master);
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "T", 1, 1);
    auto r = send(c, cl.broker_addr, "T", 0, "m0");
    EXPECT_EQ(r.code, rs::kSlaveNotAvailable) << r.remark.value_or("");
    // It is stored on the master: the answer carries its id and offset, and it reads back.
    EXPECT_EQ(header_int(r, "queueOffset"), 0);
    EXPECT_TRUE(r.field("msgId").has_value());
    auto p = pull(c, cl.broker_addr, "G", "T", 0, 0, 6, 3000);
    ASSERT_EQ(p.code, rs::kSuccess);
    EXPECT_EQ(records(p).size(), 1u);
  });
}

TEST(Replication, ASyncMasterAnswersSendOkOnceTheSlaveHasTheMessageAndTheSlaveServesIt) {
  Cluster cl(2, sync_master);
  cl.add_slave();
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker && !cl.broker->ha_master()->slaves().empty(); }, 20s));
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "T", 1, 1);
    for (int i = 0; i < 20; ++i) {
      auto r = send(c, cl.broker_addr, "T", 0, "m" + std::to_string(i));
      ASSERT_EQ(r.code, rs::kSuccess) << r.remark.value_or("");
      // Acknowledged only once the slave has written it.
      EXPECT_GE(cl.slave->store().written(), cl.broker->store().written());
    }
    // The slave serves the queue (slaveReadEnable) once it has the topic
    // from its master's (every 10 s).
    rt.sleep_for(11s);
    auto p = pull(c, cl.slave_addr, "G", "T", 0, 0, 7, 0);
    ASSERT_EQ(p.code, rs::kSuccess) << p.remark.value_or("");
    auto ms = records(p);
    ASSERT_EQ(ms.size(), 20u);
    EXPECT_EQ(text(ms[7].body), "m7");
  });
}

TEST(Replication, ASyncMasterCutOffFromItsSlaveAnswersFlushSlaveTimeout) {
  Cluster cl(3, sync_master);
  cl.add_slave();
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker && !cl.broker->ha_master()->slaves().empty(); }, 20s));
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "T", 1, 1);
    ASSERT_EQ(send(c, cl.broker_addr, "T", 0, "before").code, rs::kSuccess);
    cl.sim.partition(cl.broker_node, cl.slave_node);
    auto r = send(c, cl.broker_addr, "T", 0, "during");
    EXPECT_EQ(r.code, rs::kFlushSlaveTimeout) << r.remark.value_or("");
    EXPECT_EQ(header_int(r, "queueOffset"), 1);  // stored on the master
    // WAIT=false does not wait for the slave.
    auto nowait = send(c, cl.broker_addr, "T", 0, "nowait", "TagA", 0, {{"WAIT", "false"}});
    EXPECT_EQ(nowait.code, rs::kSuccess);
    // /metrics shows the slave behind by what it has not acknowledged.
    auto lag = [&] {
      const std::string text = cl.broker->metrics().render();
      const auto at = text.find("\nrmq_replication_lag_bytes{");
      if (at == std::string::npos) return int64_t{-1};
      return int64_t{std::stoll(text.substr(text.find("} ", at) + 2))};
    };
    EXPECT_GT(lag(), 0);
    cl.sim.heal_all();
    // Healed, the slave catches up and SEND_OK comes back.
    for (int i = 0; i < 50; ++i) {
      rt.sleep_for(1s);
      if (send(c, cl.broker_addr, "T", 0, "after").code == rs::kSuccess) {
        EXPECT_EQ(lag(), 0);
        return;
      }
    }
    ADD_FAILURE() << "no SEND_OK after the partition healed";
  });
}

TEST(Replication, ASlaveRefusesWritesWithRocketMqsCodes) {
  Cluster cl(4);
  cl.add_slave();
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto r = send(c, cl.slave_addr, "T", 0, "x");
    EXPECT_EQ(r.code, rs::kServiceNotAvailable);
    EXPECT_NE(r.remark.value_or("").find("slave"), std::string::npos);
    auto t = create_topic(c, cl.slave_addr, "T2", 1, 1);
    EXPECT_EQ(t.code, rs::kSystemError);
    EXPECT_NE(t.remark.value_or("").find("slave broker"), std::string::npos);
    auto del = RemotingCommand::request(rc::kDeleteSubscriptiongroup);
    remoting::put_field(del, "groupName", "G");
    auto d = c.invoke(cl.slave_addr, std::move(del), 5s);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->code, rs::kSystemError);
    auto end = RemotingCommand::request(rc::kEndTransaction);
    remoting::put_field(end, "producerGroup", "PG");
    auto e = c.invoke(cl.slave_addr, std::move(end), 5s);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->code, rs::kSlaveNotAvailable);
  });
}

TEST(Replication, ASlaveLearnsItsMasterFromTheNamesrvAndCopiesItsMetadata) {
  Cluster cl(5);
  cl.add_slave();
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "Synced", 3, 3);
    auto g = RemotingCommand::request(rc::kUpdateAndCreateSubscriptiongroup);
    g.body = remoting::to_bytes(R"({"groupName":"GS","retryMaxTimes":5,"retryQueueNums":1,"brokerId":0,)"
                                R"("whichBrokerWhenConsumeSlowly":1,"consumeEnable":true,)"
                                R"("consumeFromMinEnable":true,"consumeBroadcastEnable":true})");
    ASSERT_EQ(c.invoke(cl.broker_addr, std::move(g), 5s)->code, rs::kSuccess);
    ASSERT_EQ(send(c, cl.broker_addr, "Synced", 0, "x").code, rs::kSuccess);
    auto u = RemotingCommand::request(rc::kUpdateConsumerOffset);
    remoting::put_field(u, "consumerGroup", "GS");
    remoting::put_field(u, "topic", "Synced");
    remoting::put_field(u, "queueId", 0);
    remoting::put_field(u, "commitOffset", 1);
    ASSERT_EQ(c.invoke(cl.broker_addr, std::move(u), 5s)->code, rs::kSuccess);
    rt.sleep_for(6s);  // the master saves offsets every 5 s; the slave polls every 10 s
    rt.sleep_for(11s);
  });
  ASSERT_NE(cl.slave, nullptr);
  EXPECT_EQ(cl.slave->ha_slave()->master(), cl.broker_addr.substr(0, cl.broker_addr.find(':')) + ":10912");
  EXPECT_EQ(cl.slave->master_address(), cl.broker_addr);
  EXPECT_TRUE(cl.slave->topics().find("Synced").has_value());
  EXPECT_EQ(cl.slave->topics().table().data_version, cl.broker->topics().table().data_version);
  auto info = std::make_shared<std::map<std::string, std::string>>();
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto q = RemotingCommand::request(rc::kQueryConsumerOffset);
    remoting::put_field(q, "consumerGroup", "GS");
    remoting::put_field(q, "topic", "Synced");
    remoting::put_field(q, "queueId", 0);
    auto r = c.invoke(cl.slave_addr, std::move(q), 5s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, rs::kSuccess);
    EXPECT_EQ(header_int(*r, "offset"), 1);
    auto groups = c.invoke(cl.slave_addr, RemotingCommand::request(rc::kGetAllSubscriptiongroupConfig), 5s);
    ASSERT_TRUE(groups.ok());
    EXPECT_NE(text(groups->body).find("\"GS\""), std::string::npos);
    *info = runtime_info(c, cl.slave_addr);
  });
  EXPECT_EQ((*info)["brokerRole"], "SLAVE");
  EXPECT_EQ((*info)["haConnected"], "true");
  EXPECT_EQ((*info)["masterAddr"], cl.broker_addr);
}

TEST(Replication, ASlaveStartedBeforeItsMasterLearnsItWithinASyncIntervalNotARegistrationPeriod) {
  Cluster cl(6);
  cl.sim.crash(cl.broker_node);  // the master is down while its slave starts and registers
  cl.broker = nullptr;
  cl.add_slave();
  ASSERT_NE(cl.slave, nullptr);
  cl.sim.run_for(2s);
  EXPECT_TRUE(cl.slave->master_address().empty());
  cl.sim.start(cl.broker_node);
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker != nullptr; }, 10s));
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "Early", 2, 2);
  });
  // The registration period is 30 s; a slave asks again every sync interval
  // (10 s) until it knows its master, and syncs the moment it does.
  cl.sim.run_for(12s);
  EXPECT_EQ(cl.slave->master_address(), cl.broker_addr);
  EXPECT_TRUE(cl.slave->topics().find("Early").has_value());
}

// A master lost for good before its slave's metadata sync (every 10 s)
// brought a new topic over: the slave holds the topic's messages, so it
// serves them from its store's queues, and after its own restart its
// registration puts the topic back into the namesrv's routes. RocketMQ 4.9
// answers TOPIC_NOT_EXIST and drops the route: acknowledged SYNC_MASTER
// messages unreadable (found by the chaos scenario).
TEST(Replication, ASlaveWhoseMasterIsLostBeforeItsConfigArrivedServesTheTopicsItStores) {
  Cluster cl(8, sync_master);
  cl.add_slave([](BrokerConfig& c) { c.slave_sync_interval = 60s; });
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker && !cl.broker->ha_master()->slaves().empty(); }, 20s));
  cl.sim.run_for(2s);  // past the first sync: the topic is created between two
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "Fresh", 4, 4);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(send(c, cl.broker_addr, "Fresh", 1, "m" + std::to_string(i)).code, rs::kSuccess);
  });
  ASSERT_FALSE(cl.slave->topics().find("Fresh").has_value());  // not synced yet
  cl.sim.crash(cl.broker_node);
  cl.broker = nullptr;
  // Its next registration (30 s) learns that no master is left; the sync
  // round after it (every 60 s here) takes the topic from the store.
  cl.sim.run_for(70s);
  auto adopted = cl.slave->topics().find("Fresh");
  ASSERT_TRUE(adopted.has_value());
  EXPECT_EQ(adopted->read_queue_nums, 2);  // queue 1 is the highest it stores
  // The slave restarts: every address of broker-a left the namesrv, and its
  // registration alone brings the route back.
  cl.sim.crash(cl.slave_node);
  cl.slave = nullptr;
  cl.sim.start(cl.slave_node);
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.slave != nullptr; }, 10s));
  cl.sim.run_for(2s);
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto req = RemotingCommand::request(rc::kGetRouteinfoByTopic);
    remoting::put_field(req, "topic", "Fresh");
    auto route = c.invoke(cl.namesrv_addr, std::move(req), 3s);
    ASSERT_TRUE(route.ok());
    EXPECT_EQ(route->code, rs::kSuccess) << route->remark.value_or("");
    EXPECT_NE(text(route->body).find(cl.slave_addr), std::string::npos);
    auto p = pull(c, cl.slave_addr, "G", "Fresh", 1, 0, 6, 0);
    ASSERT_EQ(p.code, rs::kSuccess) << p.remark.value_or("");
    auto ms = records(p);
    ASSERT_EQ(ms.size(), 5u);
    EXPECT_EQ(text(ms[4].body), "m4");
  });
  // The master comes back (it had only crashed): its config replaces the
  // one the slave took from its store.
  cl.sim.start(cl.broker_node);
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker != nullptr; }, 20s));
  ASSERT_TRUE(cl.sim.run_until(
      [&] {
        auto f = cl.slave ? cl.slave->topics().find("Fresh") : std::nullopt;
        return f && f->read_queue_nums == 4;
      },
      3min));
}

// SYNC_FLUSH: a slave is streamed only what its master synced. Were it
// streamed written bytes (as RocketMQ does), a master that lost power
// before its sync would come back shorter than its slave, which it then
// refuses ("beyond this master's log end") and, once its log grew past
// that position, could only stream mid-record: the slave stuck for good
// and every SYNC_MASTER send answered SLAVE_NOT_AVAILABLE.
TEST(Replication, ASyncFlushMasterStreamsOnlySyncedBytesSoItsPowerLossNeverLeavesItsSlaveAhead) {
  Cluster cl(1, [](BrokerConfig& c) {
    sync_master(c);
    c.store.flush_disk_type = store::FlushDiskType::sync_flush;
    c.store.sync_flush_timeout = 10s;
  });
  cl.add_slave();
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker && !cl.broker->ha_master()->slaves().empty(); }, 20s));
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "T", 1, 1);
    ASSERT_EQ(send(c, cl.broker_addr, "T", 0, "m0").code, rs::kSuccess);
  });
  cl.sim.run_for(12s);  // the slave has the topic
  // The master's syncs stall; a send is written but not synced when the
  // master loses power (this seed's power loss drops the unsynced tail).
  const sim::DiskConfig normal = cl.sim.node(cl.broker_node).disk().config();
  sim::DiskConfig stall = normal;
  stall.sync_stall_probability = 1.0;
  stall.sync_stall = 5s;
  cl.sim.set_disk_config(cl.broker_node, stall);
  int64_t written = -1, synced = -1, slave_written = -1;
  cl.sim.after(1s, [&] {
    written = cl.broker->store().written();
    synced = cl.broker->store().synced();
    slave_written = cl.slave->store().written();
    cl.sim.power_loss(cl.broker_node);
    cl.broker = nullptr;
  });
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto r = c.invoke(cl.broker_addr, send_request("T", 0, std::string(2000, 'x')), 10s);
    EXPECT_FALSE(r.ok() && r->code == rs::kSuccess);  // the master went down before it synced
  });
  ASSERT_GT(written, synced);  // the precondition: an unsynced tail
  EXPECT_EQ(slave_written, synced);
  cl.sim.set_disk_config(cl.broker_node, normal);
  cl.sim.start(cl.broker_node);
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker != nullptr; }, 20s));
  EXPECT_GE(cl.broker->store().written(), cl.slave->store().written());
  // Replication goes on: the slave is taken back, sends are confirmed by
  // it, and it keeps up.
  ASSERT_TRUE(cl.sim.run_until([&] { return cl.broker && !cl.broker->ha_master()->slaves().empty(); }, 20s));
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    for (int i = 0; i < 5; ++i) {
      auto r = send(c, cl.broker_addr, "T", 0, std::string(1000, static_cast<char>('a' + i)));
      EXPECT_EQ(r.code, rs::kSuccess) << i << " " << r.remark.value_or("");
    }
  });
  EXPECT_EQ(cl.slave->store().written(), cl.broker->store().written());
}

TEST(Replication, ASlaveWithoutSlaveReadSendsTheConsumerBackWithoutMovingItsOffset) {
  Cluster cl(6);
  cl.add_slave([](BrokerConfig& c) { c.slave_read_enable = false; });
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "T", 1, 1);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(send(c, cl.broker_addr, "T", 0, "m").code, rs::kSuccess);
    rt.sleep_for(11s);  // the slave has the topic from its master
    auto p = pull(c, cl.slave_addr, "G", "T", 0, 0, 6, 0);
    EXPECT_EQ(p.code, rs::kPullRetryImmediately);
    EXPECT_EQ(header_int(p, "suggestWhichBrokerId"), 0);
    EXPECT_EQ(header_int(p, "nextBeginOffset"), 0);
    EXPECT_TRUE(p.body.empty());
    // Beyond what the slave has: never an offset correction on a slave.
    auto far = pull(c, cl.slave_addr, "G", "T", 0, 50, 6, 0);
    EXPECT_EQ(far.code, rs::kPullRetryImmediately);
    EXPECT_EQ(header_int(far, "nextBeginOffset"), 50);
  });
}

TEST(Replication, AMasterSuggestsTheSlaveToAConsumerFarBehind) {
  Cluster cl(7, [](BrokerConfig& c) {
    c.slave_read_enable = true;
    c.store.physical_memory_bytes = 100 * 1000;  // 40% of it: 40 000 bytes
  });
  cl.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(c, cl.broker_addr, "T", 1, 1);
    for (int i = 0; i < 100; ++i)
      ASSERT_EQ(send(c, cl.broker_addr, "T", 0, std::string(1000, 'x')).code, rs::kSuccess);
    auto behind = pull(c, cl.broker_addr, "G", "T", 0, 0, 6, 0);
    ASSERT_EQ(behind.code, rs::kSuccess);
    EXPECT_EQ(header_int(behind, "suggestWhichBrokerId"), 1);
    auto near = pull(c, cl.broker_addr, "G", "T", 0, 90, 6, 0);
    ASSERT_EQ(near.code, rs::kSuccess);
    EXPECT_EQ(header_int(near, "suggestWhichBrokerId"), 0);
  });
}

TEST(Replication, BadRoleAndIdCombinationsStopStartUpNamingTheKey) {
  auto parse = [](std::map<std::string, std::string> kv) {
    common::Properties p;
    for (auto& [k, v] : kv) p.set(k, v);
    return broker_config_from(p);
  };
  auto slave0 = parse({{"brokerRole", "SLAVE"}});
  ASSERT_FALSE(slave0.ok());
  EXPECT_NE(slave0.error().detail().find("brokerId"), std::string::npos);
  EXPECT_NE(slave0.error().detail().find("SLAVE"), std::string::npos);
  auto master1 = parse({{"brokerRole", "SYNC_MASTER"}, {"brokerId", "1"}});
  ASSERT_FALSE(master1.ok());
  EXPECT_NE(master1.error().detail().find("brokerId"), std::string::npos);
  EXPECT_FALSE(parse({{"brokerRole", "MASTER"}}).ok());
  EXPECT_FALSE(parse({{"brokerRole", "SLAVE"}, {"brokerId", "1"}, {"haMasterAddress", "nohost"}}).ok());
  auto ok = parse({{"brokerRole", "SLAVE"}, {"brokerId", "2"}, {"listenPort", "10921"}, {"brokerIP2", "10.0.0.9"},
                   {"slaveReadEnable", "true"}, {"haSendHeartbeatInterval", "1000"}});
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_TRUE(ok->slave());
  EXPECT_TRUE(ok->store.replica);
  EXPECT_EQ(ok->ha_port(), 10922);
  EXPECT_EQ(ok->ha_address(), "10.0.0.9:10922");
  EXPECT_EQ(ok->store.ha.heartbeat_interval, 1s);
}

}  // namespace
}  // namespace rmq::broker
