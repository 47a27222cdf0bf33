// The broker in the simulator, driven over the wire the way RocketMQ clients
// drive it: a namesrv node, a broker node and a client node speaking the
// remoting protocol through the project's RPC client. Each test states the
// behaviour a client relies on.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "broker/broker.h"
#include "common/json.h"
#include "common/message_format.h"
#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_consumer.h"
#include "remoting/headers_namesrv.h"
#include "remoting/headers_pull.h"
#include "remoting/headers_send.h"
#include "remoting/heartbeat.h"
#include "remoting/route_data.h"
#include "sim/simulation.h"
#include "tests/broker/broker_test_util.h"

namespace rmq::broker {
namespace {

using namespace test_util;

TEST(Broker, SentMessagesArePulledBackWithTheOffsetsTheSendReported) {
  Cluster k(1);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 4, 4).code, rs::kSuccess);
    std::vector<std::pair<std::string, int64_t>> sent;  // msgId, queue offset
    for (int i = 0; i < 5; ++i) {
      auto r = send(c, k.broker_addr, "T", 1, "m" + std::to_string(i));
      ASSERT_EQ(r.code, rs::kSuccess) << r.remark.value_or("");
      EXPECT_EQ(header_int(r, "queueId"), 1);
      EXPECT_EQ(header_int(r, "queueOffset"), i);
      EXPECT_EQ(r.field("MSG_REGION").value_or(""), "DefaultRegion");
      EXPECT_EQ(r.field("TRACE_ON").value_or(""), "true");
      sent.emplace_back(std::string(r.field("msgId").value_or("")), header_int(r, "queueOffset"));
    }
    rt.sleep_for(100ms);  // queues are written after the answer (RocketMQ's reput, too)
    auto p = pull(c, k.broker_addr, "G", "T", 1, 0);
    ASSERT_EQ(p.code, rs::kSuccess);
    EXPECT_EQ(header_int(p, "nextBeginOffset"), 5);
    EXPECT_EQ(header_int(p, "minOffset"), 0);
    EXPECT_EQ(header_int(p, "maxOffset"), 5);
    auto ms = records(p);
    ASSERT_EQ(ms.size(), 5u);
    for (size_t i = 0; i < ms.size(); ++i) {
      EXPECT_EQ(text(ms[i].body), "m" + std::to_string(i));
      EXPECT_EQ(common::offset_msg_id(ms[i].store_host, ms[i].physical_offset), sent[i].first);
      EXPECT_EQ(ms[i].queue_offset, sent[i].second);
      auto props = common::decode_properties(ms[i].properties);
      EXPECT_EQ(props["TAGS"], "TagA");
      EXPECT_EQ(props["CLUSTER"], "DefaultCluster");
    }
    // The offset msgId finds the message (VIEW_MESSAGE_BY_ID).
    auto id = common::parse_offset_msg_id(sent[2].first);
    ASSERT_TRUE(id.has_value());
    auto view = RemotingCommand::request(rc::kViewMessageById);
    remoting::put_field(view, "offset", id->commit_log_offset);
    auto v = c.invoke(k.broker_addr, std::move(view), 5s);
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(records(*v).size(), 1u);
    EXPECT_EQ(text(records(*v)[0].body), "m2");
  });
}

TEST(Broker, UnknownTopicIsCreatedFromTbw102WithAtMostEightQueuesOrRefusedWhenDisabled) {
  Cluster k(2);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto req = RemotingCommand::request(rc::kSendMessageV2);
    remoting::SendMessageRequestHeader h;
    h.producer_group = "PG";
    h.topic = "Auto";
    h.default_topic = "TBW102";
    h.default_topic_queue_nums = 16;  // asks for more than 8
    h.queue_id = 0;
    h.encode(req, true);
    req.body = remoting::to_bytes("x");
    auto r = c.invoke(k.broker_addr, std::move(req), 5s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, rs::kSuccess) << r->remark.value_or("");
  });
  auto tc = k.broker->topics().find("Auto");
  ASSERT_TRUE(tc.has_value());
  EXPECT_EQ(tc->write_queue_nums, 8);
  EXPECT_EQ(tc->read_queue_nums, 8);
  EXPECT_EQ(tc->perm, 6);

  Cluster off(3, [](BrokerConfig& c) { c.auto_create_topic_enable = false; });
  off.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto r = send(c, off.broker_addr, "Auto", 0, "x");
    EXPECT_EQ(r.code, rs::kTopicNotExist);
    EXPECT_EQ(r.remark.value_or(""), "topic[Auto] not exist, apply first please!");
  });
}

TEST(Broker, BadRequestsGetRocketMqErrorCodes) {
  Cluster k(4);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 2, 4).code, rs::kSuccess);
    // A send header without its required fields.
    auto bare = RemotingCommand::request(rc::kSendMessageV2);
    remoting::put_field(bare, "b", "T");
    auto r = c.invoke(k.broker_addr, std::move(bare), 5s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, rs::kSystemError);
    EXPECT_NE(r->remark.value_or("").find("missing required header field"), std::string::npos);
    // Illegal topic names, forbidden system topics, queue ids out of range.
    EXPECT_EQ(send(c, k.broker_addr, "bad topic!", 0, "x").code, rs::kSystemError);
    EXPECT_EQ(send(c, k.broker_addr, "SCHEDULE_TOPIC_XXXX", 0, "x").code, rs::kNoPermission);
    EXPECT_EQ(send(c, k.broker_addr, "T", 4, "x").code, rs::kSystemError);
    // A write-only queue (2, 3: write 4, read 2) receives but cannot be pulled.
    EXPECT_EQ(send(c, k.broker_addr, "T", 3, "x").code, rs::kSuccess);
    EXPECT_EQ(pull(c, k.broker_addr, "G", "T", 3, 0).code, rs::kSystemError);
    EXPECT_EQ(pull(c, k.broker_addr, "G", "Nope", 0, 0).code, rs::kTopicNotExist);
    // A heartbeat body that is not JSON.
    auto hb = RemotingCommand::request(rc::kHeartBeat);
    hb.body = remoting::to_bytes("{not json");
    auto h = c.invoke(k.broker_addr, std::move(hb), 5s);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->code, rs::kSystemError);
    // Unknown codes.
    auto odd = c.invoke(k.broker_addr, RemotingCommand::request(9999), 5s);
    ASSERT_TRUE(odd.ok());
    EXPECT_EQ(odd->code, rs::kRequestCodeNotSupported);
  });
}

TEST(Broker, HeldPullAnswersWithinAMillisecondOfTheMessageStore) {
  Cluster k(5);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    // The queue's files exist (creating them syncs directories, which takes
    // simulated milliseconds of its own).
    ASSERT_EQ(send(c, k.broker_addr, "T", 0, "first").code, rs::kSuccess);
    rt.sleep_for(1s);
    rt::Instant answered{};
    auto puller = rt.spawn("puller", [&] {
      auto p = pull(c, k.broker_addr, "G", "T", 0, 1);
      answered = rt.now();
      EXPECT_EQ(p.code, rs::kSuccess);
      EXPECT_EQ(records(p).size(), 1u);
    });
    rt.sleep_for(7s);  // past one 5 s re-check
    EXPECT_EQ(answered, rt::Instant{});
    const rt::Instant sending = rt.now();
    auto s = send(c, k.broker_addr, "T", 0, "late");
    ASSERT_EQ(s.code, rs::kSuccess);
    const rt::Instant stored = rt.now();  // the send's answer: the message is stored
    (void)puller.join();
    // The held pull was answered when the message was stored, not at the
    // next re-check: both answers crossed the network together.
    EXPECT_GT(answered, sending);
    EXPECT_LT(answered, stored + 1ms);
  });
}

TEST(Broker, HeldPullWithNothingArrivingAnswersPullNotFoundAfterItsSuspendTime) {
  Cluster k(6);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    const rt::Instant start = rt.now();
    auto p = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 15000);
    EXPECT_EQ(p.code, rs::kPullNotFound);
    EXPECT_GE(rt.now() - start, 15s);
    EXPECT_LT(rt.now() - start, 16s);
    // Without the suspend flag the answer is immediate.
    const rt::Instant again = rt.now();
    EXPECT_EQ(pull(c, k.broker_addr, "G", "T", 0, 0, 4, 15000).code, rs::kPullNotFound);
    EXPECT_LT(rt.now() - again, 1s);
    // Past the end by more than one: moved.
    EXPECT_EQ(pull(c, k.broker_addr, "G", "T", 0, 7, 4).code, rs::kPullOffsetMoved);
  });
}

TEST(Broker, TagFilterFromTheSubscriptionSkipsOtherTags) {
  Cluster k(7);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    ASSERT_EQ(send(c, k.broker_addr, "T", 0, "a", "TagA").code, rs::kSuccess);
    ASSERT_EQ(send(c, k.broker_addr, "T", 0, "b", "TagB").code, rs::kSuccess);
    ASSERT_EQ(send(c, k.broker_addr, "T", 0, "c", "TagC").code, rs::kSuccess);
    rt.sleep_for(100ms);  // acknowledged when written; visible once dispatched
    auto p = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 1000, "TagA || TagC");
    ASSERT_EQ(p.code, rs::kSuccess);
    auto ms = records(p);
    ASSERT_EQ(ms.size(), 2u);
    EXPECT_EQ(text(ms[0].body), "a");
    EXPECT_EQ(text(ms[1].body), "c");
    EXPECT_EQ(header_int(p, "nextBeginOffset"), 3);
  });
}

// transferMsgByHeap=false answers pulls from the CommitLog's files
// (Conn::send_file) instead of copying the records: a client must get the
// same bytes either way, also when a pull spans segment files, skips other
// queues' records between its own, and filters by tag.
TEST(Broker, PullAnswersBySendfileCarryTheSameRecordsAsByHeap) {
  std::map<bool, std::vector<std::vector<std::byte>>> bodies;  // by heap -> pull answers
  for (const bool by_heap : {true, false}) {
    Cluster k(11, [&](BrokerConfig& c) {
      c.transfer_msg_by_heap = by_heap;
      c.store.commit_log_segment_bytes = 64 * 1024;  // the smallest: a pull spans two files
    });
    k.client([&](rt::Runtime& rt) {
      remoting::RpcClient c(rt, nullptr);
      ASSERT_EQ(create_topic(c, k.broker_addr, "T", 4, 4).code, rs::kSuccess);
      const auto body = [](size_t i) { return "message-" + std::to_string(i) + std::string(2000, 'x'); };
      for (size_t i = 0; i < 48; ++i)  // message i to queue i % 4; TagB when i % 8 >= 4
        ASSERT_EQ(send(c, k.broker_addr, "T", static_cast<int32_t>(i % 4), body(i), i % 8 < 4 ? "TagA" : "TagB").code,
                  rs::kSuccess);
      rt.sleep_for(100ms);  // acknowledged when written; visible once dispatched
      auto all = pull(c, k.broker_addr, "G", "T", 1, 0);
      ASSERT_EQ(all.code, rs::kSuccess);
      auto ms = records(all);
      ASSERT_EQ(ms.size(), 12u);
      for (size_t j = 0; j < ms.size(); ++j) {
        EXPECT_EQ(text(ms[j].body), body(4 * j + 1));
        EXPECT_EQ(ms[j].queue_offset, static_cast<int64_t>(j));
      }
      EXPECT_EQ(header_int(all, "nextBeginOffset"), 12);
      auto tagged = pull(c, k.broker_addr, "G", "T", 2, 3, 6, 1000, "TagB");
      ASSERT_EQ(tagged.code, rs::kSuccess);
      auto tb = records(tagged);
      ASSERT_EQ(tb.size(), 5u);  // queue 2's offset k holds message 4k + 2: TagB at the odd offsets
      for (size_t j = 0; j < tb.size(); ++j) {
        EXPECT_EQ(tb[j].queue_offset, static_cast<int64_t>(3 + 2 * j));
        EXPECT_EQ(text(tb[j].body), body(4 * (3 + 2 * j) + 2));
      }
      bodies[by_heap] = {all.body, tagged.body};
    });
  }
  ASSERT_EQ(bodies[true].size(), 2u);
  EXPECT_TRUE(bodies[true] == bodies[false]) << "the answers differ in their bytes";
}

TEST(Broker, ConsumerGroupMembershipIsListedNotifiedAndExpires) {
  Cluster k(8);
  int notified = 0;
  k.client([&](rt::Runtime& rt) {
    remoting::Dispatcher from_broker;
    from_broker.on(rc::kNotifyConsumerIdsChanged, [&](remoting::Connection&, RemotingCommand& req) {
      EXPECT_EQ(req.field("consumerGroup").value_or(""), "G");
      ++notified;
      return std::optional<RemotingCommand>{};
    });
    remoting::RpcClient a(rt, &from_broker);
    remoting::RpcClient b(rt, nullptr);
    ASSERT_EQ(heartbeat(a, k.broker_addr, "10.0.0.1@1", "G", {"T"}).code, rs::kSuccess);
    ASSERT_EQ(heartbeat(b, k.broker_addr, "10.0.0.2@2", "G", {"T"}).code, rs::kSuccess);
    rt.sleep_for(100ms);
    EXPECT_GE(notified, 2);  // a joined, then b joined
    auto list = RemotingCommand::request(rc::kGetConsumerListByGroup);
    remoting::put_field(list, "consumerGroup", "G");
    auto l = a.invoke(k.broker_addr, std::move(list), 5s);
    ASSERT_TRUE(l.ok());
    ASSERT_EQ(l->code, rs::kSuccess);
    EXPECT_EQ(text(l->body), R"({"consumerIdList":["10.0.0.1@1","10.0.0.2@2"]})");
    // The retry topic exists once the group has been seen.
    EXPECT_TRUE(k.broker->topics().find("%RETRY%G").has_value());
    // b stops heart-beating; a keeps going. After 120 s (scan every 10 s) b
    // is gone and a is told.
    const int before = notified;
    for (int i = 0; i < 5; ++i) {
      rt.sleep_for(30s);
      ASSERT_EQ(heartbeat(a, k.broker_addr, "10.0.0.1@1", "G", {"T"}).code, rs::kSuccess);
    }
    EXPECT_GT(notified, before);
    auto again = RemotingCommand::request(rc::kGetConsumerListByGroup);
    remoting::put_field(again, "consumerGroup", "G");
    auto l2 = a.invoke(k.broker_addr, std::move(again), 5s);
    ASSERT_TRUE(l2.ok());
    EXPECT_EQ(text(l2->body), R"({"consumerIdList":["10.0.0.1@1"]})");
  });
}

TEST(Broker, CommittedOffsetsSurviveARestartAndMinusOneIsIgnored) {
  Cluster k(9);
  auto commit = [&](remoting::RpcClient& c, int32_t q, int64_t off) {
    auto req = RemotingCommand::request(rc::kUpdateConsumerOffset);
    remoting::UpdateConsumerOffsetRequestHeader h{"G", "T", q, off};
    h.encode(req);
    auto r = c.invoke(k.broker_addr, std::move(req), 5s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, rs::kSuccess);
  };
  auto query = [&](remoting::RpcClient& c, int32_t q) {
    auto req = RemotingCommand::request(rc::kQueryConsumerOffset);
    remoting::QueryConsumerOffsetRequestHeader h;
    h.consumer_group = "G";
    h.topic = "T";
    h.queue_id = q;
    h.encode(req);
    auto r = c.invoke(k.broker_addr, std::move(req), 5s);
    EXPECT_TRUE(r.ok());
    return r ? std::make_pair(r->code, header_int(*r, "offset")) : std::make_pair(-1, int64_t{-1});
  };
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 2, 2).code, rs::kSuccess);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(send(c, k.broker_addr, "T", 0, "m").code, rs::kSuccess);
    commit(c, 0, 2);
    commit(c, 0, -1);  // ali-ons' "nothing consumed": ignored
    EXPECT_EQ(query(c, 0), std::make_pair(rs::kSuccess, int64_t{2}));
    // A queue that still holds its first message answers 0 for a new group.
    EXPECT_EQ(query(c, 1), std::make_pair(rs::kSuccess, int64_t{0}));
    rt.sleep_for(6s);  // one flush of the offsets
  });
  k.sim.crash(k.broker_node);
  k.sim.start(k.broker_node);
  ASSERT_TRUE(k.sim.run_until([&] { return k.broker != nullptr; }, 10s));
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    EXPECT_EQ(query(c, 0), std::make_pair(rs::kSuccess, int64_t{2}));
    auto max = RemotingCommand::request(rc::kGetMaxOffset);
    remoting::put_field(max, "topic", "T");
    remoting::put_field(max, "queueId", int32_t{0});
    auto m = c.invoke(k.broker_addr, std::move(max), 5s);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(header_int(*m, "offset"), 3);  // the async-flushed messages survived the process crash
  });
}

TEST(Broker, SendBackFollowsTheRetryScheduleThenGoesToTheDlqAfterMaxReconsumeTimes) {
  Cluster k(10);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    ASSERT_EQ(heartbeat(c, k.broker_addr, "10.0.0.1@1", "G", {"T", "%RETRY%G"}).code, rs::kSuccess);
    auto s = send(c, k.broker_addr, "T", 0, "fails");
    ASSERT_EQ(s.code, rs::kSuccess);
    const std::string first_id(s.field("msgId").value_or(""));
    auto id = common::parse_offset_msg_id(first_id);
    ASSERT_TRUE(id.has_value());
    auto back = [&](int64_t offset, int32_t max_reconsume) {
      auto req = RemotingCommand::request(rc::kConsumerSendMsgBack);
      remoting::ConsumerSendMsgBackRequestHeader h;
      h.offset = offset;
      h.group = "G";
      h.delay_level = 0;
      h.origin_msg_id = "the client's UNIQ_KEY, which the broker does not use";
      h.origin_topic = "T";
      h.max_reconsume_times = max_reconsume;
      h.encode(req);
      req.version = 409;
      auto r = c.invoke(k.broker_addr, std::move(req), 5s);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->code, rs::kSuccess) << r->remark.value_or("");
    };
    // Waits (long polling) for the retry at `offset` and says when it came.
    auto await_retry = [&](int64_t offset) {
      for (;;) {
        auto p = pull(c, k.broker_addr, "G", "%RETRY%G", 0, offset, 6, 15000);
        if (p.code == rs::kSuccess) return std::make_pair(records(p), rt.now());
        EXPECT_EQ(p.code, rs::kPullNotFound);
        if (p.code != rs::kPullNotFound) return std::make_pair(std::vector<common::StoredMessage>{}, rt.now());
      }
    };
    // First failure: delay level 3 (10 s).
    const rt::Instant t0 = rt.now();
    back(id->commit_log_offset, 2);
    auto [first, at1] = await_retry(0);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_GE(at1 - t0, 10s);
    EXPECT_LT(at1 - t0, 11s);
    EXPECT_EQ(text(first[0].body), "fails");
    EXPECT_EQ(first[0].reconsume_times, 1);
    auto props = common::decode_properties(first[0].properties);
    EXPECT_EQ(props["RETRY_TOPIC"], "T");
    EXPECT_EQ(props["ORIGIN_MESSAGE_ID"], first_id);  // the original's offset msgId
    EXPECT_EQ(props.count("DELAY"), 0u);
    // Second failure (reconsume 1): level 4 (30 s); the origin stays the first.
    const rt::Instant t1 = rt.now();
    back(first[0].physical_offset, 2);
    auto [second, at2] = await_retry(1);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_GE(at2 - t1, 30s);
    EXPECT_LT(at2 - t1, 31s);
    EXPECT_EQ(second[0].reconsume_times, 2);
    EXPECT_EQ(common::decode_properties(second[0].properties)["ORIGIN_MESSAGE_ID"], first_id);
    // Third failure (reconsume 2 >= max 2): straight to the DLQ, no delay.
    back(second[0].physical_offset, 2);
    auto dlq = pull(c, k.broker_addr, "G", "%DLQ%G", 0, 0, 6, 1000);
    ASSERT_EQ(dlq.code, rs::kSuccess);
    ASSERT_EQ(records(dlq).size(), 1u);
    EXPECT_EQ(records(dlq)[0].reconsume_times, 3);
    EXPECT_EQ(common::decode_properties(records(dlq)[0].properties)["ORIGIN_MESSAGE_ID"], first_id);
  });
}

TEST(Broker, TopicsReachTheNamesrvAtOnceAndQueueLocksAreExclusive) {
  Cluster k(11);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "Routed", 3, 3).code, rs::kSuccess);
    rt.sleep_for(100ms);  // far less than the 30 s period
    auto req = RemotingCommand::request(rc::kGetRouteinfoByTopic);
    remoting::put_field(req, "topic", "Routed");
    auto r = c.invoke(k.namesrv_addr, std::move(req), 5s);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, rs::kSuccess);
    auto route = remoting::decode_topic_route(text(r->body));
    ASSERT_TRUE(route.ok());
    ASSERT_EQ(route->queue_datas.size(), 1u);
    EXPECT_EQ(route->queue_datas[0].write_queue_nums, 3);
    EXPECT_EQ(route->broker_datas[0].broker_addrs.at(0), k.broker_addr);

    auto lock = [&](const std::string& client_id) {
      auto l = RemotingCommand::request(rc::kLockBatchMq);
      l.body = remoting::to_bytes(R"({"clientId":")" + client_id +
                                  R"(","consumerGroup":"G","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"Routed"}]})");
      auto resp = c.invoke(k.broker_addr, std::move(l), 5s);
      EXPECT_TRUE(resp.ok());
      return resp ? text(resp->body) : std::string();
    };
    EXPECT_EQ(lock("A"), R"({"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"Routed"}]})");
    EXPECT_EQ(lock("B"), R"({"lockOKMQSet":[]})");
    rt.sleep_for(61s);  // the lease ran out
    EXPECT_EQ(lock("B"), R"({"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"Routed"}]})");
  });
}

}  // namespace
}  // namespace rmq::broker
