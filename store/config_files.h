// The broker's config files under `<storePathRootDir>/config/` (reference
// 7.1 and 7.6): topics.json, consumerOffset.json, subscriptionGroup.json and
// delayOffset.json, in the JSON shapes RocketMQ (fastjson) writes, so a store
// directory can move between this broker and a Java one.
//
// Three layers, each usable alone:
//   - plain tables with RocketMQ's fields and defaults (ordered maps, so the
//     output is deterministic);
//   - encode_*() / decode_*(): pure, never suspend. Encoders write fields in
//     fastjson's alphabetical order, compact (Java reads that as well as its
//     own pretty form). Decoders are lenient like fastjson: unknown properties
//     are ignored, bare numeric keys ({0:118}) and numbers given as strings
//     are accepted, missing fields keep their defaults. Malformed JSON, wrong
//     types and out-of-range numbers give Errc::invalid_argument naming the
//     file and the field; decoding never asserts on input.
//   - save_*() / load_*(): through rt::FileSystem only. Suspend.
//
// Durability. save_*() first copies the current file, if it decodes, to
// `<file>.bak`, then replaces `<file>` (common::replace_file: write
// `<file>.tmp`, sync, rename, sync the directory); each step is atomic. The
// first save of a file also syncs every ancestor directory, so a config
// directory created by it survives a power loss too. When
// save returns ok the new contents survive a power loss. After a crash or
// power loss at any moment, `<file>` holds the old or the new contents, and
// load_*() returns one of them. A `.bak` is never overwritten by a file that
// does not decode.
//
// Loading (RocketMQ's ConfigManager.load): the main file if it reads and
// decodes; else `<file>.bak` if that does; else, when neither exists, an
// empty table. A main file that is missing or bad together with a `.bak`
// that is bad, or a bad main file with no `.bak`, is an error: the broker
// should not start with silently emptied offsets.
//
// Not thread-safe and not fiber-safe per file: one fiber saves a given file
// at a time (the caller's config manager serializes its saves).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/topic_config.h"
#include "runtime/runtime.h"

namespace rmq::store {

// Files larger than this are refused on load (and not backed up on save).
inline constexpr uint64_t kMaxConfigFileBytes = uint64_t{64} << 20;

// ---- tables ------------------------------------------------------------------

// One TopicConfig and DataVersion for the store, the broker and the
// namesrv (common/topic_config.h).
using common::DataVersion;
using common::kMultiTag;
using common::kSingleTag;
using common::TopicConfig;

// topics.json
struct TopicConfigTable {
  DataVersion data_version;
  std::map<std::string, TopicConfig> topic_config_table;  // topic name -> config
  bool operator==(const TopicConfigTable&) const = default;
};

// consumerOffset.json. Offsets are ConsumeQueue offsets (next to consume).
struct ConsumerOffsetTable {
  DataVersion data_version;  // 5.x only; ignored by 4.x brokers
  std::map<std::string, std::map<int32_t, int64_t>> offset_table;  // "topic@group" -> queueId -> offset
  bool operator==(const ConsumerOffsetTable&) const = default;
};

// "topic@group", the key of ConsumerOffsetTable::offset_table.
std::string consumer_offset_key(std::string_view topic, std::string_view group);

struct SubscriptionGroupConfig {
  std::string group_name;                         // groupName
  bool consume_enable = true;                     // consumeEnable
  bool consume_from_min_enable = true;            // consumeFromMinEnable
  bool consume_broadcast_enable = true;           // consumeBroadcastEnable
  int32_t retry_queue_nums = 1;                   // retryQueueNums
  int32_t retry_max_times = 16;                   // retryMaxTimes
  int64_t broker_id = 0;                          // brokerId
  int64_t which_broker_when_consume_slowly = 1;   // whichBrokerWhenConsumeSlowly
  bool notify_consumer_ids_changed_enable = true;  // notifyConsumerIdsChangedEnable
  bool operator==(const SubscriptionGroupConfig&) const = default;
};

// subscriptionGroup.json. 5.x extras (forbiddenTable, attributes, ...) are
// ignored on load and not written.
struct SubscriptionGroupTable {
  DataVersion data_version;
  std::map<std::string, SubscriptionGroupConfig> subscription_group_table;  // group -> config
  bool operator==(const SubscriptionGroupTable&) const = default;
};

// delayOffset.json: delay level (1-based) -> next SCHEDULE_TOPIC_XXXX queue offset.
struct DelayOffsetTable {
  DataVersion data_version;  // 5.x only
  std::map<int32_t, int64_t> offset_table;
  bool operator==(const DelayOffsetTable&) const = default;
};

// ---- JSON --------------------------------------------------------------------
// REQUIRES (encoders): every number within the range its decoder accepts:
// DataVersion fields, offsets, queue numbers, ids and flags >= 0; queue ids
// >= 0; delay levels >= 1; topic_filter_type kSingleTag or kMultiTag. The
// broker validates client-supplied values before they reach a table.

std::string encode_topics(const TopicConfigTable& t);
rt::Result<TopicConfigTable> decode_topics(std::string_view text);

std::string encode_consumer_offsets(const ConsumerOffsetTable& t);  // inner keys bare: {0:118}
rt::Result<ConsumerOffsetTable> decode_consumer_offsets(std::string_view text);

std::string encode_subscription_groups(const SubscriptionGroupTable& t);
// One config, as UPDATE_AND_CREATE_SUBSCRIPTIONGROUP's body carries it.
std::string encode_subscription_group(const SubscriptionGroupConfig& g);
rt::Result<SubscriptionGroupTable> decode_subscription_groups(std::string_view text);

std::string encode_delay_offsets(const DelayOffsetTable& t);  // keys bare: {1:0,2:5}
rt::Result<DelayOffsetTable> decode_delay_offsets(std::string_view text);

// ---- paths -------------------------------------------------------------------

std::string config_dir(std::string_view root_dir);                // <root>/config
std::string topics_path(std::string_view root_dir);              // <root>/config/topics.json
std::string consumer_offset_path(std::string_view root_dir);     // .../consumerOffset.json
std::string subscription_group_path(std::string_view root_dir);  // .../subscriptionGroup.json
std::string delay_offset_path(std::string_view root_dir);        // .../delayOffset.json
std::string backup_path(std::string_view path);                  // <path>.bak

// ---- files -------------------------------------------------------------------

// Where load_*() found the table.
enum class ConfigSource { main_file, backup_file, absent };

template <class Table>
struct Loaded {
  Table table;
  ConfigSource source = ConfigSource::absent;
};

// Suspend. Errors name the path (and the .bak's problem when both failed).
rt::Result<Loaded<TopicConfigTable>> load_topics(rt::FileSystem& fs, std::string_view path);
rt::Result<Loaded<ConsumerOffsetTable>> load_consumer_offsets(rt::FileSystem& fs, std::string_view path);
rt::Result<Loaded<SubscriptionGroupTable>> load_subscription_groups(rt::FileSystem& fs, std::string_view path);
rt::Result<Loaded<DelayOffsetTable>> load_delay_offsets(rt::FileSystem& fs, std::string_view path);

// Suspend. Creates the directory if needed. On error the main file holds the
// old or the new contents (which one is unknown until the next load).
rt::Result<void> save_topics(rt::FileSystem& fs, std::string_view path, const TopicConfigTable& t);
rt::Result<void> save_consumer_offsets(rt::FileSystem& fs, std::string_view path, const ConsumerOffsetTable& t);
rt::Result<void> save_subscription_groups(rt::FileSystem& fs, std::string_view path, const SubscriptionGroupTable& t);
rt::Result<void> save_delay_offsets(rt::FileSystem& fs, std::string_view path, const DelayOffsetTable& t);

}  // namespace rmq::store
