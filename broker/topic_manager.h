// The broker's topics (topics.json): RocketMQ's TopicConfigManager. Creates
// TBW102 and the system topics at load, topics on UPDATE_AND_CREATE_TOPIC,
// on a send to an unknown topic (from the template the send names, reference
// 8.1), and retry/DLQ topics on demand. Every change is persisted before it
// is answered and bumps the DataVersion the namesrv registration carries;
// `on_change` then fires (the registration task re-registers at once).
//
// Used by the broker's tasks of one runtime. Changes suspend (they write the
// file); readers never do.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "common/message_const.h"
#include "common/message_format.h"
#include "remoting/route_data.h"
#include "runtime/runtime.h"
#include "store/config_files.h"

namespace rmq::broker {

inline constexpr const char* kAutoCreateTopicKey = common::kAutoCreateTopic;
using remoting::kDlqPrefix;
using remoting::kPermInherit;
using remoting::kPermRead;
using remoting::kMasterId;
using remoting::kPermWrite;
using remoting::kRetryPrefix;
// Topics created by a send are capped here even if the template allows more.
inline constexpr int32_t kAutoCreateQueueNumsMax = 8;

// RocketMQ's topic name rule (common/message_format.h).
using common::valid_topic_name;
// Topics producers may not send to (SCHEDULE_TOPIC_XXXX, the transaction
// topics, SELF_TEST_TOPIC, OFFSET_MOVED_EVENT).
bool send_forbidden_topic(std::string_view topic);
using remoting::dlq_topic;
using remoting::retry_topic;

class TopicManager {
 public:
  TopicManager(rt::Runtime& rt, const BrokerConfig& cfg);

  // Loads topics.json (or its .bak) and adds the system topics. Suspends.
  rt::Result<void> load();

  std::optional<store::TopicConfig> find(const std::string& topic) const;
  const store::TopicConfigTable& table() const { return table_; }

  // Creates or replaces a topic. Suspends.
  rt::Result<void> upsert(store::TopicConfig tc);
  // A send to an unknown topic: creates it from `template_topic` when that
  // exists with PERM_INHERIT (TBW102 only while autoCreateTopicEnable), with
  // min(queue_nums, template's write queues, 8) queues. nullopt when not
  // allowed. Suspends.
  rt::Result<std::optional<store::TopicConfig>> create_on_send(const std::string& topic,
                                                               const std::string& template_topic, int32_t queue_nums);
  // Finds or creates a retry/DLQ/system topic with `queue_nums` queues and
  // `perm`; `*created` says whether it was created now. Suspends.
  rt::Result<store::TopicConfig> ensure(const std::string& topic, int32_t queue_nums, int32_t perm,
                                        bool* created = nullptr);
  // Removes a topic; false when it did not exist. Suspends.
  rt::Result<bool> remove(const std::string& topic);
  // A change the registration carries from outside the table (the broker's
  // permission masks every topic's): a new data version, saved, and
  // on_change, so the namesrvs take the next registration. Suspends.
  rt::Result<void> bump_version();

  // A slave takes its master's table (and its data version) when that
  // version differs from its own, and saves it; `removed` (when given)
  // gets the topics it had that the master's table lacks. Suspends.
  rt::Result<bool> mirror(store::TopicConfigTable master, std::vector<std::string>* removed = nullptr);
  void on_change(std::function<void()> fn) { on_change_ = std::move(fn); }

 private:
  rt::Result<void> persist();  // REQUIRES: the change is in table_
  rt::Result<void> save();     // persist() without a new data version

  rt::Runtime& rt_;
  const BrokerConfig& cfg_;
  std::string path_;
  store::TopicConfigTable table_;
  rt::Mutex save_;
  std::function<void()> on_change_;
};

}  // namespace rmq::broker
