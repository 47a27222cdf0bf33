#include "broker/topic_manager.h"
#include "runtime/unlock_guard.h"

#include <algorithm>

#include "common/message_const.h"

namespace rmq::broker {

namespace {

const char* const kForbiddenSendTopics[] = {common::kScheduleTopic,         common::kTransHalfTopic,
                                            common::kTransOpHalfTopic,      common::kTransCheckMaxTimeTopic,
                                            common::kSelfTestTopic,         common::kOffsetMovedEventTopic};

store::TopicConfig make_topic(std::string name, int32_t queues, int32_t perm) {
  store::TopicConfig tc;
  tc.topic_name = std::move(name);
  tc.read_queue_nums = tc.write_queue_nums = queues;
  tc.perm = perm;
  return tc;
}

}  // namespace

bool send_forbidden_topic(std::string_view topic) {
  return std::any_of(std::begin(kForbiddenSendTopics), std::end(kForbiddenSendTopics),
                     [&](const char* t) { return topic == t; });
}

TopicManager::TopicManager(rt::Runtime& rt, const BrokerConfig& cfg)
    : rt_(rt), cfg_(cfg), path_(store::topics_path(cfg.store.root_dir)), save_(rt) {}

rt::Result<void> TopicManager::load() {
  auto loaded = store::load_topics(rt_.fs(), path_);
  if (!loaded) return loaded.error();
  table_ = std::move(loaded->table);
  bool changed = false;
  auto add = [&](store::TopicConfig tc) {
    auto& slot = table_.topic_config_table[tc.topic_name];
    if (slot == tc) return;
    slot = std::move(tc);
    changed = true;
  };
  // TBW102 inherits only while auto-creation is on (reference 8.1).
  add(make_topic(kAutoCreateTopicKey, cfg_.default_topic_queue_nums,
                 cfg_.auto_create_topic_enable ? kPermInherit | kPermRead | kPermWrite : kPermRead | kPermWrite));
  add(make_topic(common::kSelfTestTopic, 1, kPermRead | kPermWrite));
  add(make_topic(common::kOffsetMovedEventTopic, 1, kPermRead | kPermWrite));
  // SCHEDULE_TOPIC_XXXX: one queue per delay level.
  add(make_topic(common::kScheduleTopic, static_cast<int32_t>(cfg_.store.delay_level_ms.size()),
                 kPermRead | kPermWrite));
  add(make_topic(cfg_.cluster_name, 16, kPermInherit));
  add(make_topic(cfg_.broker_name, 1, kPermInherit | kPermRead | kPermWrite));
  if (!changed) return {};
  return persist();
}

std::optional<store::TopicConfig> TopicManager::find(const std::string& topic) const {
  auto it = table_.topic_config_table.find(topic);
  if (it == table_.topic_config_table.end()) return std::nullopt;
  return it->second;
}

rt::Result<void> TopicManager::persist() {
  ++table_.data_version.counter;
  table_.data_version.timestamp = rt_.wall_ms();
  return save();
}

rt::Result<bool> TopicManager::mirror(store::TopicConfigTable master, std::vector<std::string>* removed) {
  if (master.data_version == table_.data_version) return false;
  if (removed)
    for (const auto& [name, tc] : table_.topic_config_table)
      if (!master.topic_config_table.count(name)) removed->push_back(name);
  table_ = std::move(master);
  if (auto r = save(); !r) return r.error();
  return true;
}

rt::Result<void> TopicManager::save() {
  if (auto r = save_.lock(); !r) return r;
  rt::UnlockGuard unlock(save_);  // also when cancelled mid-save
  // Saves the table as it is when the lock is ours: a later change waiting
  // behind us saves again, so the file always ends with the newest table.
  const store::TopicConfigTable snapshot = table_;
  auto saved = store::save_topics(rt_.fs(), path_, snapshot);
  if (!saved) return saved;
  if (on_change_) on_change_();
  return {};
}

rt::Result<void> TopicManager::upsert(store::TopicConfig tc) {
  auto& slot = table_.topic_config_table[tc.topic_name];
  slot = std::move(tc);
  return persist();
}

rt::Result<std::optional<store::TopicConfig>> TopicManager::create_on_send(const std::string& topic,
                                                                           const std::string& template_topic,
                                                                           int32_t queue_nums) {
  if (auto existing = find(topic)) return existing;
  auto tpl = find(template_topic);
  if (!tpl || (tpl->perm & kPermInherit) == 0) return std::optional<store::TopicConfig>{};
  if (template_topic == kAutoCreateTopicKey && !cfg_.auto_create_topic_enable)
    return std::optional<store::TopicConfig>{};
  const int32_t queues = std::clamp(std::min(queue_nums, tpl->write_queue_nums), 1, kAutoCreateQueueNumsMax);
  store::TopicConfig tc = make_topic(topic, queues, tpl->perm & ~kPermInherit);
  tc.topic_filter_type = tpl->topic_filter_type;
  rt_.log(rt::LogLevel::info, "topic " + topic + " created from " + template_topic + " with " + std::to_string(queues) +
                                  " queues");
  if (auto r = upsert(tc); !r) return r.error();
  return std::optional<store::TopicConfig>{tc};
}

rt::Result<store::TopicConfig> TopicManager::ensure(const std::string& topic, int32_t queue_nums, int32_t perm,
                                                    bool* created) {
  if (created) *created = false;
  if (auto existing = find(topic)) return *existing;
  store::TopicConfig tc = make_topic(topic, std::max(queue_nums, 1), perm);
  if (auto r = upsert(tc); !r) return r.error();
  if (created) *created = true;
  return tc;
}

rt::Result<void> TopicManager::bump_version() {
  if (auto r = persist(); !r) return r;
  if (on_change_) on_change_();
  return {};
}

rt::Result<bool> TopicManager::remove(const std::string& topic) {
  if (table_.topic_config_table.erase(topic) == 0) return false;
  if (auto r = persist(); !r) return r.error();
  return true;
}

}  // namespace rmq::broker
