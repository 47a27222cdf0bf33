#include "broker/consumer_offsets.h"

#include <algorithm>

#include "common/canary/broker_offset_commit_ahead.h"
#include "runtime/unlock_guard.h"

namespace rmq::broker {

namespace {

// "topic@group" -> (topic, group); the group never holds '@'.
std::pair<std::string_view, std::string_view> split_key(std::string_view key) {
  const size_t at = key.rfind('@');
  if (at == std::string_view::npos) return {key, {}};
  return {key.substr(0, at), key.substr(at + 1)};
}

}  // namespace

ConsumerOffsets::ConsumerOffsets(rt::Runtime& rt, const BrokerConfig& cfg)
    : rt_(rt), path_(store::consumer_offset_path(cfg.store.root_dir)), save_(rt) {}

rt::Result<void> ConsumerOffsets::load() {
  auto loaded = store::load_consumer_offsets(rt_.fs(), path_);
  if (!loaded) return loaded.error();
  table_ = std::move(loaded->table);
  return {};
}

void ConsumerOffsets::commit(const std::string& group, const std::string& topic, int32_t queue_id, int64_t offset) {
  if (offset < 0 || queue_id < 0) return;
  if constexpr (common::canary::broker_offset_commit_ahead) ++offset;
  auto& slot = table_.offset_table[store::consumer_offset_key(topic, group)][queue_id];
  if (slot == offset) return;
  slot = offset;
  ++version_;
}

std::optional<int64_t> ConsumerOffsets::query(const std::string& group, const std::string& topic,
                                              int32_t queue_id) const {
  auto it = table_.offset_table.find(store::consumer_offset_key(topic, group));
  if (it == table_.offset_table.end()) return std::nullopt;
  auto q = it->second.find(queue_id);
  if (q == it->second.end()) return std::nullopt;
  return q->second;
}

std::vector<std::string> ConsumerOffsets::groups_of_topic(const std::string& topic) const {
  std::vector<std::string> out;
  for (const auto& [key, _] : table_.offset_table) {
    auto [t, g] = split_key(key);
    if (t == topic) out.emplace_back(g);
  }
  return out;
}

std::vector<std::string> ConsumerOffsets::topics_of_group(const std::string& group) const {
  std::vector<std::string> out;
  for (const auto& [key, _] : table_.offset_table) {
    auto [t, g] = split_key(key);
    if (g == group) out.emplace_back(t);
  }
  return out;
}

void ConsumerOffsets::remove_topic(const std::string& topic) {
  std::erase_if(table_.offset_table, [&](const auto& kv) { return split_key(kv.first).first == topic; });
  ++version_;
}

void ConsumerOffsets::remove_group(const std::string& group) {
  std::erase_if(table_.offset_table, [&](const auto& kv) { return split_key(kv.first).second == group; });
  ++version_;
}

void ConsumerOffsets::mirror(const store::ConsumerOffsetTable& master) {
  for (const auto& [key, queues] : master.offset_table) {
    auto& mine = table_.offset_table[key];
    if (mine != queues) {
      mine = queues;
      ++version_;
    }
  }
}

rt::Result<void> ConsumerOffsets::persist() {
  if (saved_version_ == version_) return {};
  if (auto r = save_.lock(); !r) return r;
  rt::UnlockGuard unlock(save_);  // also when cancelled mid-save
  const uint64_t version = version_;
  const store::ConsumerOffsetTable snapshot = table_;
  auto saved = store::save_consumer_offsets(rt_.fs(), path_, snapshot);
  if (saved) saved_version_ = std::max(saved_version_, version);
  return saved;
}

}  // namespace rmq::broker
