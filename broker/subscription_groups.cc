#include "broker/subscription_groups.h"
#include "runtime/unlock_guard.h"

namespace rmq::broker {

SubscriptionGroups::SubscriptionGroups(rt::Runtime& rt, const BrokerConfig& cfg)
    : rt_(rt), cfg_(cfg), path_(store::subscription_group_path(cfg.store.root_dir)), save_(rt) {}

rt::Result<void> SubscriptionGroups::load() {
  auto loaded = store::load_subscription_groups(rt_.fs(), path_);
  if (!loaded) return loaded.error();
  table_ = std::move(loaded->table);
  return {};
}

std::optional<store::SubscriptionGroupConfig> SubscriptionGroups::find(const std::string& group) const {
  auto it = table_.subscription_group_table.find(group);
  if (it == table_.subscription_group_table.end()) return std::nullopt;
  return it->second;
}

rt::Result<std::optional<store::SubscriptionGroupConfig>> SubscriptionGroups::find_or_create(
    const std::string& group) {
  if (auto g = find(group)) return g;
  if (!cfg_.auto_create_subscription_group) return std::optional<store::SubscriptionGroupConfig>{};
  store::SubscriptionGroupConfig g;
  g.group_name = group;
  if (auto r = upsert(g); !r) return r.error();
  rt_.log(rt::LogLevel::info, "subscription group " + group + " created");
  return std::optional<store::SubscriptionGroupConfig>{g};
}

rt::Result<void> SubscriptionGroups::upsert(store::SubscriptionGroupConfig g) {
  table_.subscription_group_table[g.group_name] = std::move(g);
  return persist();
}

rt::Result<bool> SubscriptionGroups::remove(const std::string& group) {
  if (table_.subscription_group_table.erase(group) == 0) return false;
  if (auto r = persist(); !r) return r.error();
  return true;
}

rt::Result<bool> SubscriptionGroups::mirror(store::SubscriptionGroupTable master) {
  if (master.data_version == table_.data_version) return false;
  table_ = std::move(master);
  if (auto r = save(); !r) return r.error();
  return true;
}

rt::Result<void> SubscriptionGroups::persist() {
  ++table_.data_version.counter;
  table_.data_version.timestamp = rt_.wall_ms();
  return save();
}

rt::Result<void> SubscriptionGroups::save() {
  if (auto r = save_.lock(); !r) return r;
  rt::UnlockGuard unlock(save_);  // also when cancelled mid-save
  const store::SubscriptionGroupTable snapshot = table_;
  auto saved = store::save_subscription_groups(rt_.fs(), path_, snapshot);
  return saved;
}

}  // namespace rmq::broker
