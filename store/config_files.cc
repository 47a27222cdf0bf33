#include "store/config_files.h"

#include "common/topic_config_json.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <limits>
#include <optional>

#include "common/atomic_file.h"
#include "common/json.h"
#include "common/numbers.h"

namespace rmq::store {

namespace bj = boost::json;
using rt::Errc;
using rt::Error;

namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

constexpr std::string_view kTopicsFile = "topics.json";
constexpr std::string_view kConsumerOffsetFile = "consumerOffset.json";
constexpr std::string_view kSubscriptionGroupFile = "subscriptionGroup.json";
constexpr std::string_view kDelayOffsetFile = "delayOffset.json";

// ---- decoding ------------------------------------------------------------------

// The first problem found while decoding one file; later ones are dropped.
struct Failure {
  std::string_view file;
  std::optional<Error> first;

  void record(std::string_view path, std::string_view what) {
    if (!first) first = Error(Errc::invalid_argument, fmt::format("{}: {}: {}", file, path, what));
  }
};

// One JSON object being read into a struct. A member that is absent or null
// keeps the struct's default, as fastjson leaves such fields alone; one of
// the wrong type or out of range is recorded as the failure.
class ObjectReader {
 public:
  ObjectReader(const bj::object& o, std::string path, Failure& failure)
      : o_(o), path_(std::move(path)), failure_(failure) {}

  // Every integer field of these files is a count, id, flag or offset: >= 0.
  template <class Int>
  void integer(std::string_view key, Int& out) {
    if (!present(key)) return;
    constexpr int64_t hi = std::numeric_limits<Int>::max();
    auto v = json::get_int64(o_, key);
    if (!v || *v < 0 || *v > hi) return fail(key, fmt::format("expected an integer in [0, {}]", hi));
    out = static_cast<Int>(*v);
  }

  void boolean(std::string_view key, bool& out) {
    if (!present(key)) return;
    auto v = json::get_bool(o_, key);
    if (!v) return fail(key, "expected a boolean");
    out = *v;
  }

  void text(std::string_view key, std::string& out) {
    if (!present(key)) return;
    auto v = json::get_string(o_, key);
    if (!v) return fail(key, "expected a string");
    out = std::move(*v);
  }

  // TopicFilterType: by name, or by ordinal as fastjson also reads enums.
  void filter_type(std::string_view key, std::string& out) {
    if (!present(key)) return;
    const bj::value& v = o_.at(key);
    if (v.is_string() && (v.get_string() == kSingleTag || v.get_string() == kMultiTag)) {
      out = std::string(v.get_string());
    } else if (v.is_int64() && (v.get_int64() == 0 || v.get_int64() == 1)) {
      out = std::string(v.get_int64() == 0 ? kSingleTag : kMultiTag);
    } else {
      fail(key, "expected SINGLE_TAG or MULTI_TAG");
    }
  }

  // The member as an object; nullptr when absent, null, or of another type
  // (then recorded).
  const bj::object* object(std::string_view key) {
    if (!present(key)) return nullptr;
    const bj::value& v = o_.at(key);
    if (!v.is_object()) {
      fail(key, "expected an object");
      return nullptr;
    }
    return &v.get_object();
  }

  const bj::object& json() const { return o_; }
  const std::string& path() const { return path_; }
  Failure& failure() const { return failure_; }

 private:
  bool present(std::string_view key) const {
    if (failure_.first) return false;
    const bj::value* v = o_.if_contains(key);
    return v != nullptr && !v->is_null();
  }
  void fail(std::string_view key, std::string_view what) {
    failure_.record(path_.empty() ? std::string(key) : path_ + "." + std::string(key), what);
  }

  const bj::object& o_;
  std::string path_;
  Failure& failure_;
};

std::string member_path(const std::string& parent, std::string_view key) {
  return fmt::format("{}[\"{}\"]", parent, key);
}

// Calls `entry(reader, key)` for each member of the object `key` of `r`,
// each of which must itself be an object.
template <class Fn>
void for_each_object(ObjectReader& r, std::string_view key, Fn entry) {
  const bj::object* table = r.object(key);
  if (table == nullptr) return;
  const std::string path = r.path().empty() ? std::string(key) : r.path() + "." + std::string(key);
  for (const auto& kv : *table) {
    if (r.failure().first) return;
    if (!kv.value().is_object()) return r.failure().record(member_path(path, kv.key()), "expected an object");
    ObjectReader member(kv.value().get_object(), member_path(path, kv.key()), r.failure());
    entry(member, std::string(kv.key()));
  }
}

// A map with bare numeric keys in [key_lo, int32 max] and offsets >= 0.
void read_offset_map(const bj::object& o, const std::string& path, int32_t key_lo, Failure& failure,
                     std::map<int32_t, int64_t>& out) {
  for (const auto& kv : o) {
    if (failure.first) return;
    auto key = common::parse_java_int(kv.key());
    if (!key || *key < key_lo)
      return failure.record(member_path(path, kv.key()),
                            fmt::format("key is not an integer in [{}, {}]", key_lo, kInt32Max));
    auto offset = json::get_int64(o, kv.key());
    if (!offset || *offset < 0)
      return failure.record(member_path(path, kv.key()), fmt::format("expected an offset in [0, {}]", kInt64Max));
    out[*key] = *offset;
  }
}

void read_data_version(ObjectReader& root, DataVersion& d) {
  const bj::object* o = root.object("dataVersion");
  if (o == nullptr) return;
  ObjectReader r(*o, "dataVersion", root.failure());
  r.integer("counter", d.counter);
  r.integer("stateVersion", d.state_version);
  r.integer("timestamp", d.timestamp);
}

// Parses `text` and runs `fill(reader)` on its top-level object.
template <class Table, class Fill>
rt::Result<Table> decode_file(std::string_view file, std::string_view text, Fill fill) {
  auto v = json::parse_lenient(text);
  if (!v) return Error(Errc::invalid_argument, fmt::format("{}: {}", file, v.error().detail()));
  if (!v->is_object()) return Error(Errc::invalid_argument, fmt::format("{}: expected a JSON object", file));
  Failure failure{file, std::nullopt};
  ObjectReader root(v->get_object(), "", failure);
  Table t;
  read_data_version(root, t.data_version);
  fill(root, t);
  if (failure.first) return *failure.first;
  return t;
}

// ---- encoding ------------------------------------------------------------------

bj::object data_version_json(const DataVersion& d) {
  RMQ_ASSERT(d.counter >= 0);
  RMQ_ASSERT(d.state_version >= 0);
  RMQ_ASSERT(d.timestamp >= 0);
  return common::to_json(d);
}

bj::object offset_map_json(const std::map<int32_t, int64_t>& m, int32_t key_lo) {
  bj::object o;
  for (const auto& [key, offset] : m) {
    RMQ_ASSERT(key >= key_lo);
    RMQ_ASSERT(offset >= 0);
    o[std::to_string(key)] = offset;
  }
  return o;
}

// ---- files ---------------------------------------------------------------------

template <class Table>
using Decoder = rt::Result<Table> (*)(std::string_view);

// Reads and decodes one file; errors carry the path.
template <class Table>
rt::Result<Table> read_table(rt::FileSystem& fs, const std::string& path, Decoder<Table> decode) {
  auto text = common::read_file(fs, path, kMaxConfigFileBytes);
  if (!text) return Error(text.code(), fmt::format("{}: {}", path, text.error().message()));
  auto t = decode(*text);
  if (!t) return Error(t.code(), fmt::format("{}: {}", path, t.error().detail()));
  return t;
}

template <class Table>
rt::Result<Loaded<Table>> load_table(rt::FileSystem& fs, std::string_view path, Decoder<Table> decode) {
  const std::string main_path(path);
  auto main = read_table(fs, main_path, decode);
  if (main) return Loaded<Table>{std::move(*main), ConfigSource::main_file};
  auto bak = read_table(fs, backup_path(path), decode);
  if (bak) return Loaded<Table>{std::move(*bak), ConfigSource::backup_file};
  const bool main_missing = main.code() == Errc::not_found;
  const bool bak_missing = bak.code() == Errc::not_found;
  if (main_missing && bak_missing) return Loaded<Table>{Table{}, ConfigSource::absent};
  if (bak_missing) return Error(main.code(), main.error().detail() + "; and no .bak to fall back to");
  return Error(main_missing ? bak.code() : main.code(), main.error().detail() + "; " + bak.error().detail());
}

// Backs the current file up to `.bak` (when it decodes: a bad file must not
// replace a good backup), then replaces it. When there is no current file,
// the directory chain is made durable first; since that happens before the
// rename, an existing main file implies a durable directory, even after a
// crash in the middle of the first save.
template <class Table>
rt::Result<void> save_table(rt::FileSystem& fs, std::string_view path, const std::string& text, Decoder<Table> decode) {
  auto old = common::read_file(fs, path, kMaxConfigFileBytes);
  if (old) {
    if (decode(*old).ok()) {
      if (auto r = common::replace_file(fs, backup_path(path), *old); !r) return r;
    }
  } else if (old.code() == Errc::not_found) {
    if (auto r = common::create_durable_dir(fs, common::parent_dir(path)); !r) return r;
  } else if (old.code() != Errc::invalid_argument) {
    return old.error();  // an I/O problem; invalid_argument is an oversized file, not worth keeping
  }
  return common::replace_file(fs, path, text);
}

std::string config_file(std::string_view root_dir, std::string_view name) {
  return config_dir(root_dir) + "/" + std::string(name);
}

}  // namespace

std::string consumer_offset_key(std::string_view topic, std::string_view group) {
  return fmt::format("{}@{}", topic, group);
}

// ---- topics.json -----------------------------------------------------------------

std::string encode_topics(const TopicConfigTable& t) {
  bj::object table;
  for (const auto& [name, c] : t.topic_config_table) {
    RMQ_ASSERT(c.read_queue_nums >= 0);
    RMQ_ASSERT(c.write_queue_nums >= 0);
    RMQ_ASSERT(c.perm >= 0);
    RMQ_ASSERT(c.topic_sys_flag >= 0);
    RMQ_ASSERT(c.topic_filter_type == kSingleTag || c.topic_filter_type == kMultiTag);
    table[name] = common::to_json(c);
  }
  bj::object root;
  root["dataVersion"] = data_version_json(t.data_version);
  root["topicConfigTable"] = std::move(table);
  return json::serialize(bj::value(std::move(root)));  // quoted keys: topic names may be all digits
}

rt::Result<TopicConfigTable> decode_topics(std::string_view text) {
  return decode_file<TopicConfigTable>(kTopicsFile, text, [](ObjectReader& root, TopicConfigTable& t) {
    for_each_object(root, "topicConfigTable", [&](ObjectReader& r, const std::string& name) {
      TopicConfig c;
      c.topic_name = name;  // fastjson would leave it null; the key is the better guess
      r.text("topicName", c.topic_name);
      r.integer("readQueueNums", c.read_queue_nums);
      r.integer("writeQueueNums", c.write_queue_nums);
      r.integer("perm", c.perm);
      r.filter_type("topicFilterType", c.topic_filter_type);
      r.integer("topicSysFlag", c.topic_sys_flag);
      r.boolean("order", c.order);
      t.topic_config_table[name] = std::move(c);
    });
  });
}

// ---- consumerOffset.json -----------------------------------------------------------

std::string encode_consumer_offsets(const ConsumerOffsetTable& t) {
  bj::object table;
  for (const auto& [key, queues] : t.offset_table) table[key] = offset_map_json(queues, 0);
  bj::object root;
  root["offsetTable"] = std::move(table);
  root["dataVersion"] = data_version_json(t.data_version);
  // Bare keys for the queue ids; "topic@group" keys are never all digits.
  return json::serialize(bj::value(std::move(root)), /*bare_numeric_keys=*/true);
}

rt::Result<ConsumerOffsetTable> decode_consumer_offsets(std::string_view text) {
  return decode_file<ConsumerOffsetTable>(kConsumerOffsetFile, text, [](ObjectReader& root, ConsumerOffsetTable& t) {
    for_each_object(root, "offsetTable", [&](ObjectReader& r, const std::string& key) {
      read_offset_map(r.json(), r.path(), 0, r.failure(), t.offset_table[key]);
    });
  });
}

// ---- subscriptionGroup.json ---------------------------------------------------------

namespace {

bj::object subscription_group_json(const SubscriptionGroupConfig& g) {
  RMQ_ASSERT(g.retry_queue_nums >= 0);
  RMQ_ASSERT(g.retry_max_times >= 0);
  RMQ_ASSERT(g.broker_id >= 0);
  RMQ_ASSERT(g.which_broker_when_consume_slowly >= 0);
  bj::object o;
  o["brokerId"] = g.broker_id;
  o["consumeBroadcastEnable"] = g.consume_broadcast_enable;
  o["consumeEnable"] = g.consume_enable;
  o["consumeFromMinEnable"] = g.consume_from_min_enable;
  o["groupName"] = g.group_name;
  o["notifyConsumerIdsChangedEnable"] = g.notify_consumer_ids_changed_enable;
  o["retryMaxTimes"] = g.retry_max_times;
  o["retryQueueNums"] = g.retry_queue_nums;
  o["whichBrokerWhenConsumeSlowly"] = g.which_broker_when_consume_slowly;
  return o;
}

}  // namespace

std::string encode_subscription_group(const SubscriptionGroupConfig& g) {
  return json::serialize(bj::value(subscription_group_json(g)));
}

std::string encode_subscription_groups(const SubscriptionGroupTable& t) {
  bj::object table;
  for (const auto& [name, g] : t.subscription_group_table) table[name] = subscription_group_json(g);
  bj::object root;
  root["dataVersion"] = data_version_json(t.data_version);
  root["subscriptionGroupTable"] = std::move(table);
  return json::serialize(bj::value(std::move(root)));
}

rt::Result<SubscriptionGroupTable> decode_subscription_groups(std::string_view text) {
  return decode_file<SubscriptionGroupTable>(
      kSubscriptionGroupFile, text, [](ObjectReader& root, SubscriptionGroupTable& t) {
        for_each_object(root, "subscriptionGroupTable", [&](ObjectReader& r, const std::string& name) {
          SubscriptionGroupConfig g;
          g.group_name = name;
          r.text("groupName", g.group_name);
          r.boolean("consumeEnable", g.consume_enable);
          r.boolean("consumeFromMinEnable", g.consume_from_min_enable);
          r.boolean("consumeBroadcastEnable", g.consume_broadcast_enable);
          r.integer("retryQueueNums", g.retry_queue_nums);
          r.integer("retryMaxTimes", g.retry_max_times);
          r.integer("brokerId", g.broker_id);
          r.integer("whichBrokerWhenConsumeSlowly", g.which_broker_when_consume_slowly);
          r.boolean("notifyConsumerIdsChangedEnable", g.notify_consumer_ids_changed_enable);
          t.subscription_group_table[name] = std::move(g);
        });
      });
}

// ---- delayOffset.json -------------------------------------------------------------

std::string encode_delay_offsets(const DelayOffsetTable& t) {
  bj::object root;
  root["offsetTable"] = offset_map_json(t.offset_table, 1);
  root["dataVersion"] = data_version_json(t.data_version);
  return json::serialize(bj::value(std::move(root)), /*bare_numeric_keys=*/true);
}

rt::Result<DelayOffsetTable> decode_delay_offsets(std::string_view text) {
  return decode_file<DelayOffsetTable>(kDelayOffsetFile, text, [](ObjectReader& root, DelayOffsetTable& t) {
    if (const bj::object* levels = root.object("offsetTable"))
      read_offset_map(*levels, "offsetTable", 1, root.failure(), t.offset_table);
  });
}

// ---- paths and files ---------------------------------------------------------------

std::string config_dir(std::string_view root_dir) {
  if (root_dir.empty()) return "config";
  return std::string(root_dir) + (root_dir.back() == '/' ? "config" : "/config");
}
std::string topics_path(std::string_view root_dir) { return config_file(root_dir, kTopicsFile); }
std::string consumer_offset_path(std::string_view root_dir) { return config_file(root_dir, kConsumerOffsetFile); }
std::string subscription_group_path(std::string_view root_dir) { return config_file(root_dir, kSubscriptionGroupFile); }
std::string delay_offset_path(std::string_view root_dir) { return config_file(root_dir, kDelayOffsetFile); }
std::string backup_path(std::string_view path) { return std::string(path) + ".bak"; }

rt::Result<Loaded<TopicConfigTable>> load_topics(rt::FileSystem& fs, std::string_view path) {
  return load_table<TopicConfigTable>(fs, path, decode_topics);
}
rt::Result<Loaded<ConsumerOffsetTable>> load_consumer_offsets(rt::FileSystem& fs, std::string_view path) {
  return load_table<ConsumerOffsetTable>(fs, path, decode_consumer_offsets);
}
rt::Result<Loaded<SubscriptionGroupTable>> load_subscription_groups(rt::FileSystem& fs, std::string_view path) {
  return load_table<SubscriptionGroupTable>(fs, path, decode_subscription_groups);
}
rt::Result<Loaded<DelayOffsetTable>> load_delay_offsets(rt::FileSystem& fs, std::string_view path) {
  return load_table<DelayOffsetTable>(fs, path, decode_delay_offsets);
}

rt::Result<void> save_topics(rt::FileSystem& fs, std::string_view path, const TopicConfigTable& t) {
  return save_table<TopicConfigTable>(fs, path, encode_topics(t), decode_topics);
}
rt::Result<void> save_consumer_offsets(rt::FileSystem& fs, std::string_view path, const ConsumerOffsetTable& t) {
  return save_table<ConsumerOffsetTable>(fs, path, encode_consumer_offsets(t), decode_consumer_offsets);
}
rt::Result<void> save_subscription_groups(rt::FileSystem& fs, std::string_view path, const SubscriptionGroupTable& t) {
  return save_table<SubscriptionGroupTable>(fs, path, encode_subscription_groups(t), decode_subscription_groups);
}
rt::Result<void> save_delay_offsets(rt::FileSystem& fs, std::string_view path, const DelayOffsetTable& t) {
  return save_table<DelayOffsetTable>(fs, path, encode_delay_offsets(t), decode_delay_offsets);
}

}  // namespace rmq::store
