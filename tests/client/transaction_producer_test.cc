// The C++ TransactionProducer against a broker in the simulator, as an
// application uses it: commit delivers once, rollback never, an undecided
// or failed local transaction is settled by the broker's check-back, and a
// check goes to another instance of the group when the sender died.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "client/push_consumer.h"
#include "client/transaction_producer.h"
#include "tests/client/client_test_util.h"

namespace rmq::client {
namespace {

using namespace test_util;

void fast_checks(broker::BrokerConfig& cfg) { cfg.transaction_check_interval = 5s; }

// A sender of group TPG sends the half message "order-1" to topic T (one
// queue) and crashes inside its local transaction: only a check-back can
// settle it.
void crash_a_sender_inside_its_local_transaction(Cluster& k) {
  bool sender_in_local = false;
  auto& sender = k.sim.add_node("sender", [&](rt::Runtime& rt) {
    MqClient mq(rt, client_config(k, "10.3.0.1", "sender"));
    mq.start();
    k.create_topic(mq, "T", 1);
    TransactionProducer p(mq, {.group = "TPG"}, [](const ReceivedMessage&) { return LocalTransactionState::unknown; });
    (void)p.send_in_transaction({.topic = "T", .keys = "order-1", .body = "paid"},
                                [&](const Message&, const SendResult&) {
                                  sender_in_local = true;
                                  rt.sleep_for(rt::kForever);  // it crashes in here
                                  return LocalTransactionState::commit;
                                });
  });
  k.sim.start(sender.id());
  ASSERT_TRUE(k.sim.run_until([&] { return sender_in_local; }, 30s));
  k.sim.crash(sender.id());
}

TEST(TransactionProducer, CommitDeliversOnceRollbackNeverAndUnknownIsSettledByTheCheck) {
  Cluster k(61, 1, fast_checks);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 2);
    std::map<std::string, int> delivered;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      ++delivered[m.keys];
      return ConsumeResult::success;
    });
    std::vector<std::string> checked;
    TransactionProducer p(mq, {.group = "TPG"}, [&](const ReceivedMessage& half) {
      checked.push_back(half.keys);
      return half.keys == "later" ? LocalTransactionState::commit : LocalTransactionState::rollback;
    });
    auto decide = [](LocalTransactionState s) {
      return [s](const Message&, const SendResult&) { return s; };
    };
    auto c1 = p.send_in_transaction({.topic = "T", .keys = "yes", .body = "1"}, decide(LocalTransactionState::commit));
    ASSERT_TRUE(c1.send.ok()) << c1.send.error;
    EXPECT_TRUE(c1.end_sent);
    EXPECT_EQ(c1.local_state, LocalTransactionState::commit);
    auto r1 = p.send_in_transaction({.topic = "T", .keys = "no", .body = "2"}, decide(LocalTransactionState::rollback));
    ASSERT_TRUE(r1.send.ok());
    auto u1 = p.send_in_transaction({.topic = "T", .keys = "later", .body = "3"}, decide(LocalTransactionState::unknown));
    ASSERT_TRUE(u1.send.ok());
    // A local transaction that throws is undecided too.
    auto t1 = p.send_in_transaction({.topic = "T", .keys = "threw", .body = "4"},
                                    [](const Message&, const SendResult&) -> LocalTransactionState {
                                      throw std::runtime_error("database down");
                                    });
    ASSERT_TRUE(t1.send.ok());
    EXPECT_EQ(t1.local_state, LocalTransactionState::unknown);
    rt.sleep_for(2s);
    EXPECT_EQ(delivered, (std::map<std::string, int>{{"yes", 1}}));  // the others wait
    rt.sleep_for(20s);  // transactionTimeOut (6 s) and the next pass
    EXPECT_EQ(delivered, (std::map<std::string, int>{{"later", 1}, {"yes", 1}}));
    std::sort(checked.begin(), checked.end());
    EXPECT_EQ(checked, (std::vector<std::string>{"later", "threw"}));  // each checked once
    EXPECT_EQ(p.checks_answered(), 2);
    c.shutdown();
  });
}

TEST(TransactionProducer, AnotherInstanceAnswersTheCheckWhenTheSenderCrashed) {
  Cluster k(62, 1, fast_checks);
  crash_a_sender_inside_its_local_transaction(k);
  int delivered = 0;
  k.client("survivor", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "survivor"));
    mq.start();
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      EXPECT_EQ(m.body, "paid");
      ++delivered;
      return ConsumeResult::success;
    });
    // The order was written before the crash: this instance says commit.
    TransactionProducer p(mq, {.group = "TPG"}, [](const ReceivedMessage& half) {
      return half.keys == "order-1" ? LocalTransactionState::commit : LocalTransactionState::unknown;
    });
    mq.heartbeat_all();
    for (int i = 0; i < 300 && delivered == 0; ++i) rt.sleep_for(100ms);
    rt.sleep_for(10s);  // and nothing more
    EXPECT_EQ(delivered, 1);
    EXPECT_EQ(p.checks_answered(), 1);
    c.shutdown();
  });
}

// An instance that has not sent anything yet (it just restarted, say) still
// answers check-backs: as RocketMQ's producer, whose publish table starts
// with TBW102, it learns the brokers that auto-create topics and heartbeats
// to them. Without that the broker finds no producer of the group and, after
// transactionCheckMax checks, gives a committed transaction up.
TEST(TransactionProducer, AnInstanceThatNeverSentAnswersTheCheck) {
  Cluster k(63, 1, fast_checks);
  crash_a_sender_inside_its_local_transaction(k);
  k.client("restarted", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "restarted"));
    mq.start();
    TransactionProducer p(mq, {.group = "TPG"}, [](const ReceivedMessage& half) {
      return half.keys == "order-1" ? LocalTransactionState::commit : LocalTransactionState::unknown;
    });
    for (int i = 0; i < 600 && p.checks_answered() == 0; ++i) rt.sleep_for(100ms);
    EXPECT_EQ(p.checks_answered(), 1);
  });
}

}  // namespace
}  // namespace rmq::client
