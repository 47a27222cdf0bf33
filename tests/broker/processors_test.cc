// The request processors on their own: each is a function over a
// ProcessorContext (broker/processor_context.h), so a test builds the
// managers and the store, hands the processor a request and a connection,
// and sees what it asked of the Broker through the hooks, with no Broker,
// no server and no namesrv.
#include <gtest/gtest.h>

#include <vector>

#include "broker/processor_context.h"
#include "common/message_const.h"
#include "common/message_format.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_pull.h"
#include "remoting/headers_send.h"
#include "remoting/headers_transaction.h"
#include "remoting/route_data.h"
#include "tests/store/store_test_util.h"

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;
namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

// A client's connection as a processor sees it: an address.
class FakeConnection final : public remoting::Connection {
 public:
  const std::string& peer_address() const override { return addr_; }
  bool closed() const override { return false; }
  rt::Result<RemotingCommand> invoke(RemotingCommand, rt::Duration) override { return rt::Error(rt::Errc::closed, "fake"); }
  rt::Result<void> invoke_oneway(RemotingCommand) override { return rt::Error(rt::Errc::closed, "fake"); }
  void invoke_async(RemotingCommand, rt::Duration, std::function<void(rt::Result<RemotingCommand>)>) override {}
  void close() override {}

 private:
  std::string addr_ = "10.0.0.9:50123";
};

// The managers, the store and a context over them; the hooks record what
// they were asked.
struct Bench {
  rt::Runtime& rt;
  BrokerConfig cfg;
  std::unique_ptr<store::MessageStore> store;
  TopicManager topics;
  SubscriptionGroups groups;
  ConsumerOffsets offsets;
  ClientRegistry clients;
  QueueLocks locks;
  LongPolls long_polls;
  std::unique_ptr<ScheduleService> schedule;
  BrokerMetrics metrics;
  BrokerTraffic traffic;
  std::unique_ptr<ProcessorContext> ctx;
  FakeConnection from;

  std::vector<std::string> created_topics;
  std::vector<bool> slave_waits;  // wait_store_ok of each await_slave
  store::PutStatus slave_verdict = store::PutStatus::put_ok;
  std::vector<BrokerConfig> config_changes;

  static BrokerConfig config() {
    BrokerConfig c;
    c.store = store::test::small_config("/store");
    c.broker_ip = "10.0.0.2";
    c.store.store_host = c.address();
    return c;
  }

  explicit Bench(rt::Runtime& runtime)
      : rt(runtime), cfg(config()), topics(runtime, cfg), groups(runtime, cfg), offsets(runtime, cfg),
        locks(cfg.lock_lease), long_polls(runtime),
        metrics(cfg) {
    auto st = store::MessageStore::open(rt, cfg.store);
    EXPECT_TRUE(st.ok());
    store = std::move(*st);
    EXPECT_TRUE(topics.load().ok());
    EXPECT_TRUE(groups.load().ok());
    // As the Broker does: the store's dispatcher wakes the pulls held on a
    // queue that grew.
    store->set_arrival_listener([this](const std::string& topic, int32_t q, int64_t) { long_polls.arrived(topic, q); });
    schedule = std::make_unique<ScheduleService>(rt, cfg, *store);
    ctx.reset(new ProcessorContext{
        .rt = rt,
        .cfg = cfg,
        .store = *store,
        .topics = topics,
        .groups = groups,
        .offsets = offsets,
        .clients = clients,
        .locks = locks,
        .long_polls = long_polls,
        .schedule = *schedule,
        .transactions = nullptr,
        .metrics = metrics,
        .traffic = traffic,
        .config_version = {},
        .stopping = false,
        .topic_created = [this](const std::string& t) { created_topics.push_back(t); },
        .group_changed = [](const std::string&) {},
        .await_slave =
            [this](store::PutResult& r, bool wait_store_ok) {
              slave_waits.push_back(wait_store_ok);
              if (wait_store_ok) r.status = slave_verdict;
            },
        .change_config = [this](const BrokerConfig& next) { config_changes.push_back(next); },
        .replication_status = [] {
          return std::vector<std::pair<std::string, std::string>>{{"brokerRole", "TEST_ROLE"}};
        }});
  }
  ~Bench() {
    if (store) (void)store->close();
  }

  RemotingCommand send(const std::string& topic, int32_t queue, const std::string& body,
                       common::MessageProperties props = {}) {
    auto req = RemotingCommand::request(rc::kSendMessageV2);
    remoting::SendMessageRequestHeader h;
    h.producer_group = "P";
    h.topic = topic;
    h.default_topic = common::kAutoCreateTopic;
    h.queue_id = queue;
    h.born_timestamp = rt.wall_ms();
    h.properties = common::encode_properties(props);
    h.encode(req, true);
    req.body = remoting::to_bytes(body);
    auto reply = broker::send(*ctx, from, req);
    EXPECT_TRUE(reply.has_value());
    return reply ? std::move(*reply) : RemotingCommand{};
  }

  RemotingCommand pull(const std::string& topic, int32_t queue, int64_t offset, int64_t suspend_ms) {
    auto req = RemotingCommand::request(rc::kPullMessage);
    remoting::PullMessageRequestHeader h;
    h.consumer_group = "G";
    h.topic = topic;
    h.queue_id = queue;
    h.queue_offset = offset;
    h.sys_flag = remoting::kPullSuspend | remoting::kPullSubscription;
    h.subscription = "*";
    h.suspend_timeout_millis = suspend_ms;
    h.encode(req);
    auto reply = broker::pull(*ctx, from, req);
    EXPECT_TRUE(reply.has_value());
    return reply ? std::move(*reply) : RemotingCommand{};
  }

  // Waits (a little) until the store's dispatcher has made `n` messages of
  // the queue readable.
  int64_t dispatched(const std::string& topic, int32_t queue, int64_t n) {
    for (int i = 0; i < 1000 && store->max_offset(topic, queue) < n; ++i) rt.sleep_for(1ms);
    return store->max_offset(topic, queue);
  }

  void create_topic(const std::string& name, int32_t queues) {
    store::TopicConfig tc;
    tc.topic_name = name;
    tc.read_queue_nums = queues;
    tc.write_queue_nums = queues;
    ASSERT_TRUE(topics.upsert(tc).ok());
  }
};

void on_bench(uint64_t seed, const std::function<void(Bench&)>& body) {
  store::test::on_node(seed, [&](rt::Runtime& rt) {
    Bench b(rt);
    body(b);
  });
}

TEST(Processors, ASyncMastersVerdictOnAStoredSendIsTheAnswerAndTheMessageStaysStored) {
  on_bench(1, [](Bench& b) {
    b.create_topic("T", 2);
    b.slave_verdict = store::PutStatus::flush_slave_timeout;
    auto r = b.send("T", 1, "one");
    EXPECT_EQ(r.code, rs::kFlushSlaveTimeout) << r.remark.value_or("");
    // A producer that does not wait (WAIT=false) is answered at once.
    auto quick = b.send("T", 1, "two", {{common::kPropWait, "false"}});
    EXPECT_EQ(quick.code, rs::kSuccess) << quick.remark.value_or("");
    EXPECT_EQ(b.dispatched("T", 1, 2), 2);  // the first is stored all the same
    EXPECT_EQ(b.slave_waits, (std::vector<bool>{true, false}));
    // Both count as put, the refused wait included (the message is there).
    EXPECT_EQ(b.traffic.totals.puts(b.rt.now(), b.rt.wall_ms()).total, 2);
  });
}

TEST(Processors, ASendToANewRetryTopicRegistersItThroughTheBrokerBeforeAnswering) {
  on_bench(2, [](Bench& b) {
    ASSERT_TRUE(b.groups.find_or_create("G").ok());
    auto r = b.send("%RETRY%G", 0, "again", {{common::kPropReconsumeTime, "1"}});
    EXPECT_EQ(r.code, rs::kSuccess) << r.remark.value_or("");
    EXPECT_EQ(b.created_topics, (std::vector<std::string>{"%RETRY%G"}));
    b.send("%RETRY%G", 0, "again2");
    EXPECT_EQ(b.created_topics.size(), 1u);  // only when created
    // A retry topic of a group that does not exist is refused, nothing made.
    auto none = b.send("%RETRY%Nobody", 0, "x");
    EXPECT_EQ(none.code, rs::kSubscriptionGroupNotExist);
  });
}

TEST(Processors, AHeldPullAnswersWhenItsQueueGrowsOrWhenTheBrokerStops) {
  on_bench(3, [](Bench& b) {
    b.create_topic("T", 1);
    // Nothing there: held until a message arrives 1 s later.
    auto sender = b.rt.spawn("sender", [&] {
      b.rt.sleep_for(1s);
      EXPECT_EQ(b.send("T", 0, "late").code, rs::kSuccess);
    });
    const rt::Instant began = b.rt.now();
    auto got = b.pull("T", 0, 0, 15000);
    EXPECT_EQ(got.code, rs::kSuccess) << got.remark.value_or("");
    EXPECT_GE(b.rt.now() - began, 1s);
    EXPECT_LT(b.rt.now() - began, 2s);
    ASSERT_TRUE(sender.join(1s).ok());
    // Stopping: a held pull answers at once rather than at its deadline.
    auto stopper = b.rt.spawn("stopper", [&] {
      b.rt.sleep_for(500ms);
      b.ctx->stopping = true;
      b.long_polls.wake_all();
    });
    const rt::Instant held = b.rt.now();
    auto none = b.pull("T", 0, 1, 15000);
    EXPECT_EQ(none.code, rs::kPullNotFound);
    EXPECT_LT(b.rt.now() - held, 1s);
    ASSERT_TRUE(stopper.join(1s).ok());
  });
}

TEST(Processors, ABrokerConfigUpdateGoesThroughTheBrokerAndBumpsTheVersions) {
  on_bench(4, [](Bench& b) {
    const int64_t topics_version = b.topics.table().data_version.counter;
    auto update = [&](const std::string& text) {
      auto req = RemotingCommand::request(rc::kUpdateBrokerConfig);
      req.body = remoting::to_bytes(text);
      auto reply = update_broker_config(*b.ctx, b.from, req);
      EXPECT_TRUE(reply.has_value());
      return reply ? std::move(*reply) : RemotingCommand{};
    };
    // A key that needs a restart changes nothing.
    auto refused = update("listenPort=10999\n");
    EXPECT_EQ(refused.code, rs::kSystemError);
    EXPECT_NE(refused.remark.value_or("").find("listenPort takes effect only at start"), std::string::npos);
    EXPECT_TRUE(b.config_changes.empty());
    // The write permission off: handed to the Broker, the version bumped,
    // and the topics re-versioned (the registration carries the mask).
    auto ok = update("brokerPermission=4\n");
    EXPECT_EQ(ok.code, rs::kSuccess) << ok.remark.value_or("");
    ASSERT_EQ(b.config_changes.size(), 1u);
    EXPECT_EQ(b.config_changes[0].broker_permission, 4);
    EXPECT_EQ(b.cfg.broker_permission, 6);  // the processor itself changed nothing
    EXPECT_EQ(b.ctx->config_version.counter, 1);
    EXPECT_EQ(b.topics.table().data_version.counter, topics_version + 1);
    auto get = RemotingCommand::request(rc::kGetBrokerConfig);
    auto shown = get_broker_config(*b.ctx, b.from, get);
    ASSERT_TRUE(shown.has_value());
    EXPECT_NE(shown->field("version").value_or("").find("\"counter\":1"), std::string::npos);
  });
}

TEST(Processors, RuntimeInfoCountsTheTrafficAndShowsTheBrokersReplicationEntries) {
  on_bench(5, [](Bench& b) {
    b.create_topic("T", 1);
    EXPECT_EQ(b.send("T", 0, "a").code, rs::kSuccess);
    EXPECT_EQ(b.pull("T", 0, 0, 5000).code, rs::kSuccess);
    auto req = RemotingCommand::request(rc::kGetBrokerRuntimeInfo);
    auto r = admin_query(*b.ctx, b.from, req);
    ASSERT_TRUE(r.has_value());
    const std::string body(reinterpret_cast<const char*>(r->body.data()), r->body.size());
    EXPECT_NE(body.find("\"msgPutTotalTodayNow\":\"1\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"msgGetTotalTodayNow\":\"1\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"brokerRole\":\"TEST_ROLE\""), std::string::npos) << body;
  });
}

TEST(Processors, EndTransactionWithoutATransactionServiceIsRefusedAsOnASlave) {
  on_bench(6, [](Bench& b) {
    auto req = RemotingCommand::request(rc::kEndTransaction);
    remoting::EndTransactionRequestHeader h;
    h.producer_group = "P";
    h.tran_state_table_offset = 0;
    h.commit_log_offset = 0;
    h.commit_or_rollback = 8;  // commit
    h.msg_id = "x";
    h.encode(req);
    auto r = end_transaction(*b.ctx, b.from, req);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->code, rs::kSlaveNotAvailable);
  });
}

}  // namespace
}  // namespace rmq::broker
