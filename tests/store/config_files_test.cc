// The config files (store/config_files.h): the JSON shapes of reference 7.6
// both ways, fastjson's leniency, errors (never crashes) on bad input, the
// .bak fallback, and crash safety of a save. File tests run on a simulated
// node; crash tests cut the process or the power at seed-chosen moments.
#include <gtest/gtest.h>

#include "common/atomic_file.h"
#include "sim/simulation.h"
#include "store/config_files.h"

namespace rmq::store {
namespace {

using namespace std::chrono_literals;

// Runs `body` on a fresh simulated node and fails if it does not finish.
void on_node(uint64_t seed, const std::function<void(rt::Runtime&)>& body) {
  sim::Simulation s(seed);
  bool done = false;
  s.add_node("broker", [&](rt::Runtime& rt) {
    body(rt);
    done = true;
  });
  s.start_all();
  s.run_until([&] { return done; }, 1h);
  ASSERT_TRUE(done) << "the test body did not finish";
}

const DataVersion kVersion{.timestamp = 1700000000000, .counter = 3, .state_version = 0};

TopicConfigTable sample_topics() {
  TopicConfigTable t;
  t.data_version = kVersion;
  TopicConfig a;
  a.topic_name = "TopicTest";
  a.read_queue_nums = 4;
  a.write_queue_nums = 4;
  t.topic_config_table["TopicTest"] = a;
  TopicConfig b;
  b.topic_name = "123";  // all digits: must stay a quoted key
  b.read_queue_nums = 8;
  b.write_queue_nums = 2;
  b.perm = 4;
  b.topic_filter_type = std::string(kMultiTag);
  b.topic_sys_flag = 1;
  b.order = true;
  t.topic_config_table["123"] = b;
  return t;
}

ConsumerOffsetTable sample_offsets(int queues = 2, int64_t base = 118) {
  ConsumerOffsetTable t;
  t.data_version = kVersion;
  for (int q = 0; q < queues; ++q) t.offset_table["TopicTest@cg1"][q] = base + 2 * q;
  t.offset_table["%RETRY%cg1@cg1"][0] = 3;
  return t;
}

SubscriptionGroupTable sample_groups() {
  SubscriptionGroupTable t;
  t.data_version = kVersion;
  SubscriptionGroupConfig g;
  g.group_name = "cg1";
  t.subscription_group_table["cg1"] = g;
  SubscriptionGroupConfig h;
  h.group_name = "cg2";
  h.consume_enable = false;
  h.consume_from_min_enable = false;
  h.consume_broadcast_enable = false;
  h.retry_queue_nums = 3;
  h.retry_max_times = 5;
  h.broker_id = 2;
  h.which_broker_when_consume_slowly = 0;
  h.notify_consumer_ids_changed_enable = false;
  t.subscription_group_table["cg2"] = h;
  return t;
}

DelayOffsetTable sample_delays() {
  DelayOffsetTable t;
  t.data_version = kVersion;
  t.offset_table = {{1, 0}, {2, 5}, {3, 17}, {18, 9000000000}};
  return t;
}

// ---- round trips and exact shapes -------------------------------------------------

TEST(ConfigFilesJson, EachTableRoundTripsThroughItsEncoding) {
  EXPECT_EQ(*decode_topics(encode_topics(sample_topics())), sample_topics());
  EXPECT_EQ(*decode_consumer_offsets(encode_consumer_offsets(sample_offsets())), sample_offsets());
  EXPECT_EQ(*decode_subscription_groups(encode_subscription_groups(sample_groups())), sample_groups());
  EXPECT_EQ(*decode_delay_offsets(encode_delay_offsets(sample_delays())), sample_delays());
  EXPECT_EQ(*decode_topics(encode_topics({})), TopicConfigTable{});
  EXPECT_EQ(*decode_consumer_offsets(encode_consumer_offsets({})), ConsumerOffsetTable{});
}

TEST(ConfigFilesJson, EncodersWriteTheReferenceShapesWithSortedFieldsAndBareNumericKeys) {
  TopicConfigTable topics = sample_topics();
  topics.topic_config_table.erase("123");
  EXPECT_EQ(encode_topics(topics),
            R"({"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},)"
            R"("topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,)"
            R"("topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}})");
  EXPECT_NE(encode_topics(sample_topics()).find(R"("123":{)"), std::string::npos);
  EXPECT_EQ(encode_consumer_offsets(sample_offsets()),
            R"({"offsetTable":{"%RETRY%cg1@cg1":{0:3},"TopicTest@cg1":{0:118,1:120}},)"
            R"("dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000}})");
  SubscriptionGroupTable groups = sample_groups();
  groups.subscription_group_table.erase("cg2");
  EXPECT_EQ(encode_subscription_groups(groups),
            R"({"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},)"
            R"("subscriptionGroupTable":{"cg1":{"brokerId":0,"consumeBroadcastEnable":true,)"
            R"("consumeEnable":true,"consumeFromMinEnable":true,"groupName":"cg1",)"
            R"("notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,)"
            R"("whichBrokerWhenConsumeSlowly":1}}})");
  DelayOffsetTable delays = sample_delays();
  delays.offset_table.erase(18);
  EXPECT_EQ(encode_delay_offsets(delays),
            R"({"offsetTable":{1:0,2:5,3:17},"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000}})");
}

// ---- decoding what Java writes ------------------------------------------------------

TEST(ConfigFilesJson, DecodesTheReferenceTopicsExample) {
  auto t = decode_topics(R"({"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},
 "topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,
   "topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  TopicConfigTable want = sample_topics();
  want.topic_config_table.erase("123");
  EXPECT_EQ(*t, want);
}

TEST(ConfigFilesJson, DecodesTheReferenceConsumerOffsetExampleWithBareQueueIdKeys) {
  auto t = decode_consumer_offsets(
      R"({"offsetTable":{"TopicTest@cg1":{0:118,1:120},"%RETRY%cg1@cg1":{0:3}},)"
      R"("dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000}})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(*t, sample_offsets());
  // 4.x: pretty-printed by fastjson, no dataVersion.
  auto old = decode_consumer_offsets("{\n\t\"offsetTable\":{\n\t\t\"TopicTest@cg1\":{0:118,1:120\n\t\t}\n\t}\n}");
  ASSERT_TRUE(old.ok()) << old.error().message();
  EXPECT_EQ(old->data_version, DataVersion{});
  EXPECT_EQ(old->offset_table.at("TopicTest@cg1").at(1), 120);
}

TEST(ConfigFilesJson, DecodesTheReferenceSubscriptionGroupExample) {
  auto t = decode_subscription_groups(
      R"({"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},
 "subscriptionGroupTable":{"cg1":{"brokerId":0,
   "consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,
   "groupName":"cg1","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,
   "retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  SubscriptionGroupTable want = sample_groups();
  want.subscription_group_table.erase("cg2");
  EXPECT_EQ(*t, want);
}

TEST(ConfigFilesJson, DecodesA5xSubscriptionGroupFileIgnoringUnknownFields) {
  auto t = decode_subscription_groups(R"({
    "dataVersion":{"counter":7,"stateVersion":2,"timestamp":1700000000001},
    "forbiddenTable":{"cg1":{"TopicTest":1}},
    "subscriptionGroupTable":{"cg1":{"attributes":{"a":"b"},"brokerId":0,"consumeBroadcastEnable":false,
      "consumeEnable":true,"consumeFromMinEnable":true,"consumeMessageOrderly":false,"consumeTimeoutMinute":15,
      "groupName":"cg1","groupRetryPolicy":{"type":"CUSTOMIZED","customizedRetryPolicy":{"next":[1000,5000]}},
      "groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,
      "subscriptionDataSet":[{"topic":"TopicTest","expression":"*"}],"whichBrokerWhenConsumeSlowly":1}}})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->data_version, (DataVersion{.timestamp = 1700000000001, .counter = 7, .state_version = 2}));
  const SubscriptionGroupConfig& g = t->subscription_group_table.at("cg1");
  EXPECT_FALSE(g.consume_broadcast_enable);
  EXPECT_EQ(g.retry_max_times, 16);
  EXPECT_EQ(t->subscription_group_table.size(), 1u);
}

TEST(ConfigFilesJson, DecodesTheReferenceDelayOffsetExample) {
  auto t = decode_delay_offsets(
      R"({"offsetTable":{1:0,2:5,3:17},"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000}})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  DelayOffsetTable want = sample_delays();
  want.offset_table.erase(18);
  EXPECT_EQ(*t, want);
}

TEST(ConfigFilesJson, MissingFieldsTakeRocketMqDefaults) {
  auto t = decode_topics(R"({"topicConfigTable":{"T":{}},"extra":[1,2]})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  TopicConfig want;
  want.topic_name = "T";  // from the key
  EXPECT_EQ(t->topic_config_table.at("T"), want);
  EXPECT_EQ(want.read_queue_nums, 16);
  EXPECT_EQ(want.perm, 6);
  auto g = decode_subscription_groups(R"({"subscriptionGroupTable":{"g":{"retryMaxTimes":null}}})");
  ASSERT_TRUE(g.ok()) << g.error().message();
  SubscriptionGroupConfig want_group;
  want_group.group_name = "g";
  EXPECT_EQ(g->subscription_group_table.at("g"), want_group);
  EXPECT_EQ(*decode_delay_offsets("{}"), DelayOffsetTable{});
  EXPECT_EQ(*decode_consumer_offsets(R"({"offsetTable":null})"), ConsumerOffsetTable{});
}

TEST(ConfigFilesJson, AcceptsNumbersAndBooleansAsStringsQuotedKeysAndEnumOrdinals) {
  auto t = decode_topics(R"({"dataVersion":{"counter":"3"},"topicConfigTable":{"T":{"readQueueNums":"4",)"
                         R"("perm":6.0,"order":"true","topicFilterType":1,"topicName":"T"}}})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  const TopicConfig& c = t->topic_config_table.at("T");
  EXPECT_EQ(c.read_queue_nums, 4);
  EXPECT_EQ(c.perm, 6);
  EXPECT_TRUE(c.order);
  EXPECT_EQ(c.topic_filter_type, kMultiTag);
  EXPECT_EQ(t->data_version.counter, 3);
  auto o = decode_consumer_offsets(R"({"offsetTable":{"T@g":{"0":"118","7":9}}})");
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->offset_table.at("T@g"), (std::map<int32_t, int64_t>{{0, 118}, {7, 9}}));
}

// ---- bad input ------------------------------------------------------------------

// The error, which must be invalid_argument; "" if decoding succeeded.
template <class Result>
std::string error_of(const Result& r) {
  if (r.ok()) return "";
  EXPECT_EQ(r.code(), rt::Errc::invalid_argument);
  return r.error().detail();
}

TEST(ConfigFilesJson, MalformedJsonIsAnErrorNamingTheFile) {
  for (std::string_view bad : {"", "   ", "{", R"({"topicConfigTable":{"T":{)", R"({"a":1} x)", "[]", "null", "42",
                               R"({"offsetTable":{0:1,}})", R"({'a':1})", "{\"a\":\"\\q\"}"}) {
    EXPECT_NE(error_of(decode_topics(bad)).find("topics.json"), std::string::npos) << bad;
    EXPECT_NE(error_of(decode_consumer_offsets(bad)).find("consumerOffset.json"), std::string::npos) << bad;
    EXPECT_NE(error_of(decode_subscription_groups(bad)).find("subscriptionGroup.json"), std::string::npos) << bad;
    EXPECT_NE(error_of(decode_delay_offsets(bad)).find("delayOffset.json"), std::string::npos) << bad;
  }
  EXPECT_NE(error_of(decode_topics(std::string(100000, '['))), "");  // depth-bounded
}

TEST(ConfigFilesJson, WrongTypesAreErrorsNamingTheField) {
  auto has = [](const std::string& error, std::string_view what) {
    return error.find(what) != std::string::npos ? ::testing::AssertionSuccess()
                                                 : ::testing::AssertionFailure() << "'" << error << "' lacks " << what;
  };
  EXPECT_TRUE(has(error_of(decode_topics(R"({"topicConfigTable":[]})")), "topicConfigTable"));
  EXPECT_TRUE(has(error_of(decode_topics(R"({"topicConfigTable":{"T":5}})")), R"(topicConfigTable["T"])"));
  EXPECT_TRUE(has(error_of(decode_topics(R"({"topicConfigTable":{"T":{"readQueueNums":"four"}}})")),
                  R"(topicConfigTable["T"].readQueueNums)"));
  EXPECT_TRUE(has(error_of(decode_topics(R"({"topicConfigTable":{"T":{"order":"maybe"}}})")), "order"));
  EXPECT_TRUE(has(error_of(decode_topics(R"({"topicConfigTable":{"T":{"topicName":{}}}})")), "topicName"));
  EXPECT_TRUE(has(error_of(decode_topics(R"({"topicConfigTable":{"T":{"topicFilterType":"ANY"}}})")),
                  "topicFilterType"));
  EXPECT_TRUE(has(error_of(decode_topics(R"({"dataVersion":[1]})")), "dataVersion"));
  EXPECT_TRUE(has(error_of(decode_topics(R"({"dataVersion":{"counter":true}})")), "dataVersion.counter"));
  EXPECT_TRUE(has(error_of(decode_consumer_offsets(R"({"offsetTable":{"T@g":"0:1"}})")), R"(offsetTable["T@g"])"));
  EXPECT_TRUE(has(error_of(decode_consumer_offsets(R"({"offsetTable":{"T@g":{"x":1}}})")), R"(["x"])"));
  EXPECT_TRUE(has(error_of(decode_consumer_offsets(R"({"offsetTable":{"T@g":{0:null}}})")), R"(["0"])"));
  EXPECT_TRUE(has(error_of(decode_subscription_groups(R"({"subscriptionGroupTable":{"g":{"brokerId":[0]}}})")),
                  "brokerId"));
  EXPECT_TRUE(has(error_of(decode_delay_offsets(R"({"offsetTable":{1:1.5}})")), "offsetTable"));
}

TEST(ConfigFilesJson, HugeAndNegativeNumbersAreErrors) {
  for (std::string_view bad : {
           R"({"topicConfigTable":{"T":{"readQueueNums":3000000000}}})",
           R"({"topicConfigTable":{"T":{"writeQueueNums":-1}}})",
           R"({"topicConfigTable":{"T":{"perm":1e300}}})",
           R"({"dataVersion":{"timestamp":99999999999999999999999}})",
           R"({"dataVersion":{"counter":-5}})",
       })
    EXPECT_NE(error_of(decode_topics(bad)), "") << bad;
  for (std::string_view bad : {
           R"({"offsetTable":{"T@g":{0:-1}}})",
           R"({"offsetTable":{"T@g":{0:9223372036854775808}}})",
           R"({"offsetTable":{"T@g":{-1:5}}})",
           R"({"offsetTable":{"T@g":{2147483648:5}}})",
           R"({"offsetTable":{"T@g":{99999999999999999999999:5}}})",
       })
    EXPECT_NE(error_of(decode_consumer_offsets(bad)), "") << bad;
  EXPECT_NE(error_of(decode_delay_offsets(R"({"offsetTable":{0:5}})")), "");  // levels start at 1
  EXPECT_NE(error_of(decode_subscription_groups(R"({"subscriptionGroupTable":{"g":{"retryQueueNums":-2}}})")), "");
  EXPECT_EQ(decode_consumer_offsets(R"({"offsetTable":{"T@g":{2147483647:9223372036854775807}}})")
                ->offset_table.at("T@g").at(2147483647),
            9223372036854775807);
}

template <class Decode, class Encode>
void decodes_to_a_valid_table_or_fails(const std::string& text, Decode decode, Encode encode) {
  auto t = decode(text);
  if (!t.ok()) {
    EXPECT_EQ(t.code(), rt::Errc::invalid_argument) << text;
    return;
  }
  auto again = decode(encode(*t));
  ASSERT_TRUE(again.ok()) << text;
  EXPECT_EQ(*again, *t) << text;
}

// Decoding any mutation of a valid file gives a table or invalid_argument;
// a decoded table encodes (its ranges hold) and decodes to itself.
TEST(ConfigFilesJson, ArbitraryMutationsDecodeToAValidTableOrAnError) {
  rt::Random rng(42);
  const std::string seeds[] = {encode_topics(sample_topics()), encode_consumer_offsets(sample_offsets()),
                               encode_subscription_groups(sample_groups()), encode_delay_offsets(sample_delays())};
  const char alphabet[] = "{}[]:,\"-0123456789.eE truefalsnl@x";
  for (int i = 0; i < 4000; ++i) {
    std::string text = seeds[i % 4];
    for (uint64_t k = 0, n = 1 + rng.below(4); k < n; ++k) {
      const size_t at = rng.below(text.size());
      const char c = alphabet[rng.below(sizeof alphabet - 1)];
      switch (rng.below(3)) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<ptrdiff_t>(at), c); break;
        default: text.erase(at, 1 + rng.below(8)); break;
      }
      if (text.empty()) text = "{";
    }
    decodes_to_a_valid_table_or_fails(text, decode_topics, encode_topics);
    decodes_to_a_valid_table_or_fails(text, decode_consumer_offsets, encode_consumer_offsets);
    decodes_to_a_valid_table_or_fails(text, decode_subscription_groups, encode_subscription_groups);
    decodes_to_a_valid_table_or_fails(text, decode_delay_offsets, encode_delay_offsets);
  }
}

// ---- paths and files -------------------------------------------------------------

TEST(ConfigFilesPaths, FilesLiveUnderRootConfigWithRocketMqNames) {
  EXPECT_EQ(topics_path("/store"), "/store/config/topics.json");
  EXPECT_EQ(consumer_offset_path("/store/"), "/store/config/consumerOffset.json");
  EXPECT_EQ(subscription_group_path("s"), "s/config/subscriptionGroup.json");
  EXPECT_EQ(delay_offset_path("/"), "/config/delayOffset.json");
  EXPECT_EQ(config_dir(""), "config");
  EXPECT_EQ(backup_path("/store/config/topics.json"), "/store/config/topics.json.bak");
}

TEST(ConfigFilesLoad, MissingFileAndMissingBakLoadAsAnEmptyTable) {
  on_node(1, [](rt::Runtime& rt) {
    auto t = load_topics(rt.fs(), topics_path("/store"));
    ASSERT_TRUE(t.ok()) << t.error().message();
    EXPECT_EQ(t->source, ConfigSource::absent);
    EXPECT_EQ(t->table, TopicConfigTable{});
    auto d = load_delay_offsets(rt.fs(), delay_offset_path("/store"));
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->table.offset_table.empty());
  });
}

TEST(ConfigFilesLoad, SaveThenLoadReturnsEachTableFromTheMainFile) {
  on_node(2, [](rt::Runtime& rt) {
    auto& fs = rt.fs();
    ASSERT_TRUE(save_topics(fs, topics_path("/s"), sample_topics()).ok());
    ASSERT_TRUE(save_consumer_offsets(fs, consumer_offset_path("/s"), sample_offsets()).ok());
    ASSERT_TRUE(save_subscription_groups(fs, subscription_group_path("/s"), sample_groups()).ok());
    ASSERT_TRUE(save_delay_offsets(fs, delay_offset_path("/s"), sample_delays()).ok());
    auto t = load_topics(fs, topics_path("/s"));
    ASSERT_TRUE(t.ok()) << t.error().message();
    EXPECT_EQ(t->source, ConfigSource::main_file);
    EXPECT_EQ(t->table, sample_topics());
    EXPECT_EQ(load_consumer_offsets(fs, consumer_offset_path("/s"))->table, sample_offsets());
    EXPECT_EQ(load_subscription_groups(fs, subscription_group_path("/s"))->table, sample_groups());
    EXPECT_EQ(load_delay_offsets(fs, delay_offset_path("/s"))->table, sample_delays());
    EXPECT_EQ(*common::read_file(fs, topics_path("/s")), encode_topics(sample_topics()));
    EXPECT_FALSE(*fs.exists(backup_path(topics_path("/s"))));  // nothing to back up on the first save
  });
}

TEST(ConfigFilesLoad, SaveKeepsThePreviousContentsInBak) {
  on_node(3, [](rt::Runtime& rt) {
    const std::string path = consumer_offset_path("/s");
    ASSERT_TRUE(save_consumer_offsets(rt.fs(), path, sample_offsets(2, 100)).ok());
    ASSERT_TRUE(save_consumer_offsets(rt.fs(), path, sample_offsets(2, 200)).ok());
    EXPECT_EQ(*common::read_file(rt.fs(), backup_path(path)), encode_consumer_offsets(sample_offsets(2, 100)));
    EXPECT_EQ(*common::read_file(rt.fs(), path), encode_consumer_offsets(sample_offsets(2, 200)));
  });
}

TEST(ConfigFilesLoad, CorruptEmptyOrMissingMainFileFallsBackToBak) {
  on_node(4, [](rt::Runtime& rt) {
    auto& fs = rt.fs();
    const std::string path = topics_path("/s");
    for (std::string_view damage : {"{\"topicConfigTable\":{\"T", "", "{\"topicConfigTable\":7}", "<missing>"}) {
      ASSERT_TRUE(save_topics(fs, path, TopicConfigTable{}).ok());
      ASSERT_TRUE(save_topics(fs, path, sample_topics()).ok());
      ASSERT_TRUE(save_topics(fs, path, TopicConfigTable{{.counter = 9}, {}}).ok());  // .bak = sample_topics()
      if (damage == "<missing>") {
        ASSERT_TRUE(fs.remove(path).ok());
      } else {
        ASSERT_TRUE(common::replace_file(fs, path, damage).ok());
      }
      auto t = load_topics(fs, path);
      ASSERT_TRUE(t.ok()) << damage << ": " << t.error().message();
      EXPECT_EQ(t->source, ConfigSource::backup_file) << damage;
      EXPECT_EQ(t->table, sample_topics()) << damage;
    }
  });
}

TEST(ConfigFilesLoad, CorruptMainFileWithoutBakIsAnErrorNamingThePath) {
  on_node(5, [](rt::Runtime& rt) {
    const std::string path = delay_offset_path("/s");
    ASSERT_TRUE(common::replace_file(rt.fs(), path, "{\"offsetTable\":{1:").ok());
    auto t = load_delay_offsets(rt.fs(), path);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.code(), rt::Errc::invalid_argument);
    EXPECT_NE(t.error().detail().find(path), std::string::npos) << t.error().detail();
  });
}

TEST(ConfigFilesLoad, BadMainAndBadBakIsAnErrorNamingBoth) {
  on_node(6, [](rt::Runtime& rt) {
    const std::string path = subscription_group_path("/s");
    ASSERT_TRUE(common::replace_file(rt.fs(), backup_path(path), "[").ok());
    auto missing_main = load_subscription_groups(rt.fs(), path);
    ASSERT_FALSE(missing_main.ok());
    EXPECT_EQ(missing_main.code(), rt::Errc::invalid_argument);
    ASSERT_TRUE(common::replace_file(rt.fs(), path, "{").ok());
    auto both = load_subscription_groups(rt.fs(), path);
    ASSERT_FALSE(both.ok());
    EXPECT_NE(both.error().detail().find(path + ":"), std::string::npos) << both.error().detail();
    EXPECT_NE(both.error().detail().find(backup_path(path) + ":"), std::string::npos) << both.error().detail();
  });
}

TEST(ConfigFilesLoad, SaveOverACorruptMainFileKeepsTheGoodBak) {
  on_node(7, [](rt::Runtime& rt) {
    auto& fs = rt.fs();
    const std::string path = topics_path("/s");
    ASSERT_TRUE(save_topics(fs, path, sample_topics()).ok());
    ASSERT_TRUE(save_topics(fs, path, TopicConfigTable{}).ok());  // .bak = sample_topics()
    ASSERT_TRUE(common::replace_file(fs, path, "garbage").ok());
    ASSERT_TRUE(save_topics(fs, path, TopicConfigTable{{.counter = 5}, {}}).ok());
    EXPECT_EQ(*common::read_file(fs, backup_path(path)), encode_topics(sample_topics()));
    EXPECT_EQ(load_topics(fs, path)->table.data_version.counter, 5);
  });
}

// ---- crashes -----------------------------------------------------------------------

// Goal: a save interrupted at any moment leaves the old or the new table
// loadable, never neither. Method: save v1 and v2 (so a .bak exists), start
// saving v3, kill the process or cut the power at a seed-chosen moment within
// the save, reboot and load. Over the seeds both outcomes must occur, so the
// crash points really span the save.
void crash_during_save_leaves_old_or_new(bool power_loss) {
  // Big enough to span several sectors, so a power loss can tear them.
  const ConsumerOffsetTable v2 = sample_offsets(300, 1000), v3 = sample_offsets(400, 5000);
  int saw_old = 0, saw_new = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    sim::Simulation s(seed);
    const std::string path = consumer_offset_path("/store");
    int boot = 0;
    bool v2_saved = false;
    std::optional<rt::Result<Loaded<ConsumerOffsetTable>>> loaded;
    s.add_node("broker", [&](rt::Runtime& rt) {
      if (++boot == 1) {
        ASSERT_TRUE(save_consumer_offsets(rt.fs(), path, sample_offsets(1, 1)).ok());
        ASSERT_TRUE(save_consumer_offsets(rt.fs(), path, v2).ok());
        v2_saved = true;
        (void)save_consumer_offsets(rt.fs(), path, v3);  // may be cut short (then: cancelled)
        rt.sleep_for(1h);
      }
      loaded = load_consumer_offsets(rt.fs(), path);
    });
    s.start_all();
    ASSERT_TRUE(s.run_until([&] { return v2_saved; }, 10s));
    s.run_for(std::chrono::microseconds(s.random().below(12000)));
    if (power_loss) {
      s.power_loss(0);
    } else {
      s.crash(0);
    }
    s.start(0);
    s.run_for(1s);
    ASSERT_EQ(boot, 2);
    ASSERT_TRUE(loaded.has_value());
    ASSERT_TRUE(loaded->ok()) << "seed " << seed << ": " << loaded->error().message();
    const ConsumerOffsetTable& got = (*loaded)->table;
    ASSERT_TRUE(got == v2 || got == v3) << "seed " << seed;
    (got == v2 ? saw_old : saw_new)++;
  }
  EXPECT_GT(saw_old, 0);
  EXPECT_GT(saw_new, 0);
}

TEST(ConfigFilesCrash, ProcessCrashDuringSaveLeavesOldOrNewTableLoadable) {
  crash_during_save_leaves_old_or_new(/*power_loss=*/false);
}

TEST(ConfigFilesCrash, PowerLossDuringSaveLeavesOldOrNewTableLoadable) {
  crash_during_save_leaves_old_or_new(/*power_loss=*/true);
}

// Goal: once the first save into a fresh store returns, its file survives a
// power loss, even though the save created the config directory (and the
// root) itself. Method: save, cut the power at once, reboot and load.
TEST(ConfigFilesCrash, PowerLossRightAfterTheFirstSaveKeepsTheNewDirectoryAndFile) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Simulation s(seed);
    const std::string path = subscription_group_path("/fresh/store");
    int boot = 0;
    bool saved = false;
    std::optional<rt::Result<Loaded<SubscriptionGroupTable>>> loaded;
    s.add_node("broker", [&](rt::Runtime& rt) {
      if (++boot == 1) {
        ASSERT_TRUE(save_subscription_groups(rt.fs(), path, sample_groups()).ok());
        saved = true;
        rt.sleep_for(1h);
      }
      loaded = load_subscription_groups(rt.fs(), path);
    });
    s.start_all();
    ASSERT_TRUE(s.run_until([&] { return saved; }, 10s));
    s.power_loss(0);
    s.start(0);
    s.run_for(1s);
    ASSERT_TRUE(loaded.has_value());
    ASSERT_TRUE(loaded->ok()) << "seed " << seed << ": " << loaded->error().message();
    EXPECT_EQ((*loaded)->source, ConfigSource::main_file) << "seed " << seed;
    EXPECT_EQ((*loaded)->table, sample_groups()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace rmq::store
