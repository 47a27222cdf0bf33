// Transactional messages over the wire (reference 3.4, 8.6): a half message
// is invisible until END_TRANSACTION commits it, exactly once; rollback
// never delivers; an undecided one is checked back on a live connection of
// its producer group, at most transactionCheckMax times; the state survives
// restarts.
#include <gtest/gtest.h>

#include <map>

#include "broker/transaction.h"
#include "remoting/headers_transaction.h"
#include "tests/broker/broker_test_util.h"

namespace rmq::broker {
namespace {

using namespace test_util;

struct Half {
  int64_t queue_offset = -1;
  int64_t commit_log_offset = -1;
  std::string msg_id;  // offset msgId
};

Half send_half(rt::Runtime& rt, remoting::RpcClient& c, const std::string& addr, const std::string& topic, int32_t queue,
               const std::string& body, const std::string& group = "TPG") {
  // Born now by the broker's clock (the sim's wall clocks agree here): a
  // half born longer ago than fileReservedTime is given up at once.
  auto r = send(c, addr, topic, queue, body, "TagA", 0, {{"TRAN_MSG", "true"}, {"PGROUP", group}}, group,
                rt.wall_ms());
  EXPECT_EQ(r.code, rs::kSuccess) << r.remark.value_or("");
  Half h;
  h.queue_offset = header_int(r, "queueOffset");
  h.msg_id = std::string(r.field("msgId").value_or(""));
  if (auto id = common::parse_offset_msg_id(h.msg_id)) h.commit_log_offset = id->commit_log_offset;
  return h;
}

RemotingCommand end_tx(remoting::RpcClient& c, const std::string& addr, int64_t queue_offset, int64_t commit_log_offset,
                       int32_t decision, const std::string& uniq, const std::string& group = "TPG",
                       bool from_check = false) {
  remoting::EndTransactionRequestHeader h;
  h.producer_group = group;
  h.tran_state_table_offset = queue_offset;
  h.commit_log_offset = commit_log_offset;
  h.commit_or_rollback = decision;
  h.from_transaction_check = from_check;
  h.msg_id = uniq;
  auto req = RemotingCommand::request(rc::kEndTransaction);
  h.encode(req);
  auto r = c.invoke(addr, std::move(req), 5s);
  EXPECT_TRUE(r.ok());
  return r ? *r : RemotingCommand{};
}

RemotingCommand end_tx(remoting::RpcClient& c, const std::string& addr, const Half& h, int32_t decision,
                       const std::string& uniq) {
  return end_tx(c, addr, h.queue_offset, h.commit_log_offset, decision, uniq);
}

constexpr int32_t kCommit = remoting::kTransactionCommitType;
constexpr int32_t kRollback = remoting::kTransactionRollbackType;
constexpr int32_t kUnknown = remoting::kTransactionNotType;

int64_t max_offset(remoting::RpcClient& c, const std::string& addr, const std::string& topic, int32_t q) {
  auto req = RemotingCommand::request(rc::kGetMaxOffset);
  remoting::put_field(req, "topic", topic);
  remoting::put_field(req, "queueId", q);
  auto r = c.invoke(addr, std::move(req), 5s);
  return r ? header_int(*r, "offset") : -1;
}

// A producer connection that registers its group by heartbeat and records
// the CHECK_TRANSACTION_STATE requests the broker sends on it.
struct CheckedProducer {
  struct Check {
    remoting::CheckTransactionStateRequestHeader header;
    common::StoredMessage half;
  };
  std::vector<Check> checks;
  remoting::Dispatcher from_broker;
  std::unique_ptr<remoting::RpcClient> rpc;

  CheckedProducer(rt::Runtime& rt, const std::string& addr, const std::string& client_id,
                  const std::string& group = "TPG") {
    from_broker.on(rc::kCheckTransactionState, [this](remoting::Connection&, RemotingCommand& req) {
      auto h = remoting::CheckTransactionStateRequestHeader::decode(req);
      auto d = common::decode_stored(req.body);
      EXPECT_TRUE(h.ok());
      EXPECT_EQ(d.status, common::RecordStatus::ok) << d.problem;
      if (h && d.status == common::RecordStatus::ok) checks.push_back({*h, *d.message});
      return std::optional<RemotingCommand>{};
    });
    rpc = std::make_unique<remoting::RpcClient>(rt, &from_broker);
    remoting::HeartbeatData hb;
    hb.client_id = client_id;
    hb.producer_groups = {group, "CLIENT_INNER_PRODUCER"};
    auto req = RemotingCommand::request(rc::kHeartBeat);
    req.body = remoting::to_bytes(remoting::encode_heartbeat(hb));
    auto r = rpc->invoke(addr, std::move(req), 5s);
    EXPECT_TRUE(r.ok() && r->code == rs::kSuccess);
  }
};

TEST(Transaction, AHalfMessageIsInvisibleUntilCommittedAndACommitIsStoredOnce) {
  Cluster k(31);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 2, 2).code, rs::kSuccess);
    Half h = send_half(rt, c, k.broker_addr, "T", 1, "pay");
    EXPECT_EQ(h.queue_offset, 0);  // its offset in the half queue
    ASSERT_GE(h.commit_log_offset, 0);
    EXPECT_EQ(pull(c, k.broker_addr, "G", "T", 1, 0, 6, 500).code, rs::kPullNotFound);
    auto r = end_tx(c, k.broker_addr, h, kCommit, "Upay");
    EXPECT_EQ(r.code, rs::kSuccess) << r.remark.value_or("");
    auto p = pull(c, k.broker_addr, "G", "T", 1, 0, 6, 1000);
    ASSERT_EQ(p.code, rs::kSuccess);
    auto ms = records(p);
    ASSERT_EQ(ms.size(), 1u);
    EXPECT_EQ(text(ms[0].body), "pay");
    EXPECT_EQ(ms[0].sys_flag & common::kSysFlagTransactionMask, common::kSysFlagTransactionCommit);
    EXPECT_EQ(ms[0].prepared_transaction_offset, h.commit_log_offset);
    auto props = common::decode_properties(ms[0].properties);
    EXPECT_EQ(props.count("TRAN_MSG"), 0u);
    EXPECT_EQ(props.count("REAL_TOPIC"), 0u);
    EXPECT_EQ(props.count("REAL_QID"), 0u);
    EXPECT_EQ(props["PGROUP"], "TPG");
    EXPECT_EQ(props["UNIQ_KEY"], "Upay");
    // The same decision again changes nothing; the opposite one is refused.
    EXPECT_EQ(end_tx(c, k.broker_addr, h, kCommit, "Upay").code, rs::kSuccess);
    auto back = end_tx(c, k.broker_addr, h, kRollback, "Upay");
    EXPECT_EQ(back.code, rs::kSystemError);
    EXPECT_NE(back.remark.value_or("").find("already committed"), std::string::npos) << back.remark.value_or("");
    rt.sleep_for(100ms);
    EXPECT_EQ(max_offset(c, k.broker_addr, "T", 1), 1);
    EXPECT_EQ(runtime_info(c, k.broker_addr)["transactionCommitted"], "1");
  });
}

TEST(Transaction, RollbackNeverDeliversAndBadEndsGetRocketMqsAnswers) {
  Cluster k(32);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    Half h = send_half(rt, c, k.broker_addr, "T", 0, "undo");
    EXPECT_EQ(end_tx(c, k.broker_addr, h, kRollback, "Uundo").code, rs::kSuccess);
    EXPECT_EQ(end_tx(c, k.broker_addr, h, kCommit, "Uundo").code, rs::kSystemError);  // already rolled back
    Half h2 = send_half(rt, c, k.broker_addr, "T", 0, "other");
    auto remark_of = [&](const RemotingCommand& r) {
      EXPECT_EQ(r.code, rs::kSystemError);
      return r.remark.value_or("");
    };
    EXPECT_EQ(remark_of(end_tx(c, k.broker_addr, h2.queue_offset, h2.commit_log_offset, kCommit, "Uother", "PG-X")),
              "The producer group wrong");
    EXPECT_EQ(remark_of(end_tx(c, k.broker_addr, h2.queue_offset + 5, h2.commit_log_offset, kCommit, "Uother")),
              "The transaction state table offset wrong");
    auto plain = send(c, k.broker_addr, "T", 0, "plain");
    auto plain_id = common::parse_offset_msg_id(plain.field("msgId").value_or(""));
    ASSERT_TRUE(plain_id.has_value());
    EXPECT_EQ(remark_of(end_tx(c, k.broker_addr, 0, plain_id->commit_log_offset, kCommit, "Uplain")),
              "Find prepared transaction message failed");  // not a half message
    EXPECT_EQ(remark_of(end_tx(c, k.broker_addr, 0, 1 << 30, kCommit, "U")), "Find prepared transaction message failed");
    auto odd = end_tx(c, k.broker_addr, h2, 5, "Uother");
    EXPECT_NE(remark_of(odd).find("commitOrRollback"), std::string::npos);
    // Unknown: nothing happens yet.
    EXPECT_EQ(end_tx(c, k.broker_addr, h2, kUnknown, "Uother").code, rs::kSuccess);
    auto p = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 500);
    auto ms = records(p);
    ASSERT_EQ(ms.size(), 1u);  // only the plain message
    EXPECT_EQ(text(ms[0].body), "plain");
  });
  // Every refusal above reached the log once per code, not once per request.
  int refused = 0;
  for (const auto& line : k.sim.recent_logs())
    if (line.find("refused END_TRANSACTION (37)") != std::string::npos) ++refused;
  EXPECT_EQ(refused, 1);  // all SYSTEM_ERROR from one client
}

TEST(Transaction, AMessageSentAgainAfterItsTransactionEndedIsANewTransaction) {
  Cluster k(40);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    // Java keeps a reused Message's UNIQ_KEY: the second send is a new
    // transaction with the same key, not a repeat of the first.
    Half first = send_half(rt, c, k.broker_addr, "T", 0, "again");
    EXPECT_EQ(end_tx(c, k.broker_addr, first, kRollback, "Uagain").code, rs::kSuccess);
    Half second = send_half(rt, c, k.broker_addr, "T", 0, "again");
    EXPECT_EQ(end_tx(c, k.broker_addr, second, kCommit, "Uagain").code, rs::kSuccess);
    // A late END for the first one stores nothing more.
    (void)end_tx(c, k.broker_addr, first, kCommit, "Uagain");
    auto p = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 500);
    ASSERT_EQ(records(p).size(), 1u);
    EXPECT_EQ(text(records(p)[0].body), "again");
    rt.sleep_for(100ms);
    EXPECT_EQ(max_offset(c, k.broker_addr, "T", 0), 1);
    // A half without PGROUP cannot be checked back: refused.
    auto bad = send(c, k.broker_addr, "T", 0, "nogroup", "TagA", 0, {{"TRAN_MSG", "true"}}, "TPG", rt.wall_ms());
    EXPECT_EQ(bad.code, rs::kMessageIllegal);
  });
}

TEST(Transaction, RejectTransactionMessageRefusesHalfMessages) {
  Cluster k(33, [](BrokerConfig& cfg) { cfg.reject_transaction_message = true; });
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    auto r = send(c, k.broker_addr, "T", 0, "no", "TagA", 0, {{"TRAN_MSG", "true"}, {"PGROUP", "TPG"}}, "TPG");
    EXPECT_EQ(r.code, rs::kNoPermission);
  });
}

TEST(Transaction, AnUndecidedOneIsCheckedBackAndTheAnswerCommitsItOnce) {
  Cluster k(34, [](BrokerConfig& cfg) { cfg.transaction_check_interval = 5s; });
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    CheckedProducer prod(rt, k.broker_addr, "10.0.0.7@p");
    const rt::Instant sent = rt.now();
    Half h = send_half(rt, c, k.broker_addr, "T", 0, "maybe");
    EXPECT_EQ(end_tx(c, k.broker_addr, h, kUnknown, "Umaybe").code, rs::kSuccess);
    while (prod.checks.empty() && rt.now() - sent < 30s) rt.sleep_for(100ms);
    ASSERT_EQ(prod.checks.size(), 1u);
    // Not before transactionTimeOut (6 s): at the pass after it (10 s).
    EXPECT_GE(rt.now() - sent, 6s);
    const auto& chk = prod.checks[0];
    EXPECT_EQ(chk.header.tran_state_table_offset, 1);  // the re-appended copy
    EXPECT_NE(chk.header.commit_log_offset, h.commit_log_offset);
    EXPECT_EQ(chk.header.msg_id.value_or(""), "Umaybe");
    EXPECT_EQ(chk.header.transaction_id.value_or(""), "Umaybe");
    EXPECT_EQ(chk.half.topic, "T");
    EXPECT_EQ(chk.half.queue_id, 0);
    EXPECT_EQ(chk.half.queue_offset, 1);
    EXPECT_EQ(chk.half.physical_offset, chk.header.commit_log_offset);
    EXPECT_EQ(text(chk.half.body), "maybe");
    auto props = common::decode_properties(chk.half.properties);
    EXPECT_EQ(props["TRANSACTION_CHECK_TIMES"], "1");
    EXPECT_EQ(props["PGROUP"], "TPG");
    // The producer answers commit for the copy it was asked about ...
    EXPECT_EQ(end_tx(c, k.broker_addr, chk.header.tran_state_table_offset, chk.header.commit_log_offset, kCommit,
                     "Umaybe", "TPG", true)
                  .code,
              rs::kSuccess);
    // ... and its own late commit of the original changes nothing.
    EXPECT_EQ(end_tx(c, k.broker_addr, h, kCommit, "Umaybe").code, rs::kSuccess);
    rt.sleep_for(12s);  // more passes: no further checks
    EXPECT_EQ(prod.checks.size(), 1u);
    auto p = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 500);
    ASSERT_EQ(records(p).size(), 1u);
    EXPECT_EQ(text(records(p)[0].body), "maybe");
    EXPECT_EQ(max_offset(c, k.broker_addr, "T", 0), 1);
  });
}

TEST(Transaction, CheckImmunityTimeDelaysTheFirstCheck) {
  Cluster k(39, [](BrokerConfig& cfg) { cfg.transaction_check_interval = 1s; });
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    CheckedProducer prod(rt, k.broker_addr, "10.0.0.7@p");
    const rt::Instant sent = rt.now();
    auto r = send(c, k.broker_addr, "T", 0, "slow", "TagA", 0,
                  {{"TRAN_MSG", "true"}, {"PGROUP", "TPG"}, {"CHECK_IMMUNITY_TIME_IN_SECONDS", "20"}}, "TPG",
                  rt.wall_ms());
    ASSERT_EQ(r.code, rs::kSuccess);
    while (prod.checks.empty() && rt.now() - sent < 60s) rt.sleep_for(100ms);
    ASSERT_EQ(prod.checks.size(), 1u);
    EXPECT_GE(rt.now() - sent, 20s);  // not after transactionTimeOut's 6 s
    EXPECT_LT(rt.now() - sent, 22s);
  });
}

TEST(Transaction, ChecksStopAfterTransactionCheckMaxAndTheHalfIsMovedAside) {
  Cluster k(35, [](BrokerConfig& cfg) {
    cfg.transaction_check_interval = 1s;
    cfg.transaction_timeout = 0s;
    cfg.transaction_check_max = 3;
  });
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    CheckedProducer prod(rt, k.broker_addr, "10.0.0.7@p");
    Half h = send_half(rt, c, k.broker_addr, "T", 0, "never");
    (void)h;
    rt.sleep_for(15s);  // the producer never answers
    EXPECT_EQ(prod.checks.size(), 3u);
    for (size_t i = 0; i < prod.checks.size(); ++i)
      EXPECT_EQ(common::decode_properties(prod.checks[i].half.properties)["TRANSACTION_CHECK_TIMES"],
                std::to_string(i + 1));
    EXPECT_EQ(max_offset(c, k.broker_addr, "T", 0), 0);
    auto aside = pull(c, k.broker_addr, "G", "TRANS_CHECK_MAX_TIME_TOPIC", 0, 0, 6, 500);
    ASSERT_EQ(records(aside).size(), 1u);
    EXPECT_EQ(text(records(aside)[0].body), "never");
    auto info = runtime_info(c, k.broker_addr);
    EXPECT_EQ(info["transactionGivenUp"], "1");
    EXPECT_EQ(info["transactionHalfPending"], "0");
    // A commit that comes after the broker gave up is refused.
    auto late = end_tx(c, k.broker_addr, h, kCommit, "Unever");
    EXPECT_EQ(late.code, rs::kSystemError);
  });
  bool logged = false;
  for (const auto& line : k.sim.recent_logs())
    logged = logged || line.find("given up (checked 3 times)") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST(Transaction, ChecksGoToAnotherInstanceOfTheGroupWhenTheSenderIsGone) {
  Cluster k(36, [](BrokerConfig& cfg) { cfg.transaction_check_interval = 2s; });
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    auto sender = std::make_unique<CheckedProducer>(rt, k.broker_addr, "10.0.0.7@sender");
    CheckedProducer other(rt, k.broker_addr, "10.0.0.8@other");
    send_half(rt, *sender->rpc, k.broker_addr, "T", 0, "orphan");
    sender->rpc->stop();  // the sender dies before ending it
    sender.reset();
    for (int i = 0; i < 200 && other.checks.empty(); ++i) rt.sleep_for(100ms);
    ASSERT_EQ(other.checks.size(), 1u);
    const auto& chk = other.checks[0];
    EXPECT_EQ(end_tx(*other.rpc, k.broker_addr, chk.header.tran_state_table_offset, chk.header.commit_log_offset,
                     kCommit, "Uorphan", "TPG", true)
                  .code,
              rs::kSuccess);
    auto p = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 1000);
    ASSERT_EQ(records(p).size(), 1u);
    EXPECT_EQ(text(records(p)[0].body), "orphan");
  });
}

TEST(Transaction, StateSurvivesARestart) {
  Cluster k(37, [](BrokerConfig& cfg) { cfg.transaction_check_interval = 3s; });
  Half a, b;
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    a = send_half(rt, c, k.broker_addr, "T", 0, "a");
    b = send_half(rt, c, k.broker_addr, "T", 0, "b");
    EXPECT_EQ(end_tx(c, k.broker_addr, a, kCommit, "Ua").code, rs::kSuccess);
    rt.sleep_for(6s);  // offsets saved
  });
  k.sim.crash(k.broker_node);
  k.sim.start(k.broker_node);
  ASSERT_TRUE(k.sim.run_until([&] { return k.broker != nullptr; }, 10s));
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    CheckedProducer prod(rt, k.broker_addr, "10.0.0.7@p");
    // a stays committed once: the checker had passed it before the crash,
    // so a repeated END is refused (and stores nothing); b, undecided, is
    // checked and then committed.
    auto again = end_tx(c, k.broker_addr, a, kCommit, "Ua");
    EXPECT_EQ(again.code, rs::kSystemError);
    EXPECT_NE(again.remark.value_or("").find("no longer pending"), std::string::npos) << again.remark.value_or("");
    for (int i = 0; i < 300 && prod.checks.empty(); ++i) rt.sleep_for(100ms);
    ASSERT_GE(prod.checks.size(), 1u);
    EXPECT_EQ(text(prod.checks[0].half.body), "b");
    const auto& chk = prod.checks[0];
    EXPECT_EQ(end_tx(c, k.broker_addr, chk.header.tran_state_table_offset, chk.header.commit_log_offset, kCommit, "Ub",
                     "TPG", true)
                  .code,
              rs::kSuccess);
    auto p = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 1000);
    auto ms = records(p);
    ASSERT_EQ(ms.size(), 2u);
    EXPECT_EQ(text(ms[0].body), "a");
    EXPECT_EQ(text(ms[1].body), "b");
  });
}

// A crash can keep a commit's message but lose the op record appended with
// it (a torn tail): at the next start the index shows the transaction was
// committed, so it is neither checked nor committed again.
TEST(Transaction, ACommittedMessageWithoutItsOpRecordIsRecognisedAtLoad) {
  sim::Simulation sim(38);
  bool done = false;
  auto& n = sim.add_node("broker", [&](rt::Runtime& rt) {
    BrokerConfig cfg;
    cfg.store.root_dir = "/store";
    cfg.store.commit_log_segment_bytes = 1 << 20;
    auto st = store::MessageStore::open(rt, cfg.store);
    ASSERT_TRUE(st.ok());
    auto& store = **st;
    // A half message and its committed copy, without an op record.
    common::StoredMessage half;
    half.topic = "T";
    half.queue_id = 0;
    half.born_timestamp = rt.wall_ms();
    half.body = remoting::to_bytes("paid");
    TransactionService::make_half(half, {{"UNIQ_KEY", "U1"}, {"PGROUP", "TPG"}, {"TRAN_MSG", "true"}});
    auto h = store.put(half);
    ASSERT_TRUE(h.ok());
    common::StoredMessage final_msg = half;
    final_msg.topic = "T";
    final_msg.sys_flag = common::kSysFlagTransactionCommit;
    final_msg.prepared_transaction_offset = h.physical_offset;
    final_msg.properties = common::encode_properties({{"UNIQ_KEY", "U1"}, {"PGROUP", "TPG"}});
    ASSERT_TRUE(store.put(final_msg).ok());
    ASSERT_TRUE(store.wait_dispatched(5s).ok());
    TopicManager topics(rt, cfg);
    ASSERT_TRUE(topics.load().ok());
    ConsumerOffsets offsets(rt, cfg);
    ClientRegistry clients;
    TransactionService tx(rt, cfg, store, topics, offsets, clients);
    ASSERT_TRUE(tx.load().ok());
    EXPECT_EQ(tx.stats().pending, 0);
    EXPECT_EQ(tx.stats().committed, 1);
    ASSERT_TRUE(store.wait_dispatched(5s).ok());
    EXPECT_EQ(store.max_offset("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0), 1);  // the op record, written again
    // A second load finds the op record: nothing pending, nothing repaired.
    TransactionService again(rt, cfg, store, topics, offsets, clients);
    ASSERT_TRUE(again.load().ok());
    EXPECT_EQ(again.stats().pending, 0);
    EXPECT_EQ(again.stats().committed, 0);
    ASSERT_TRUE(store.close().ok());
    done = true;
  });
  sim.start(n.id());
  ASSERT_TRUE(sim.run_until([&] { return done; }, 1min));
}

}  // namespace
}  // namespace rmq::broker
