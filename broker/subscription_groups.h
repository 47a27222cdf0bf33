// Subscription groups (subscriptionGroup.json): RocketMQ's
// SubscriptionGroupManager. A group is created on first use (heartbeat, pull,
// send-back) while autoCreateSubscriptionGroup is on; every change is
// persisted before it is answered. Changes suspend; lookups never do.
#pragma once

#include <optional>
#include <string>

#include "broker/broker_config.h"
#include "store/config_files.h"

namespace rmq::broker {

class SubscriptionGroups {
 public:
  SubscriptionGroups(rt::Runtime& rt, const BrokerConfig& cfg);
  rt::Result<void> load();  // Suspends.

  std::optional<store::SubscriptionGroupConfig> find(const std::string& group) const;
  // The group's config, created with the defaults when auto-creation is on;
  // nullopt when the group is unknown and may not be created. Suspends.
  rt::Result<std::optional<store::SubscriptionGroupConfig>> find_or_create(const std::string& group);
  rt::Result<void> upsert(store::SubscriptionGroupConfig g);  // Suspends.
  rt::Result<bool> remove(const std::string& group);          // Suspends.
  const store::SubscriptionGroupTable& table() const { return table_; }
  // A slave takes its master's table when its data version differs. Suspends.
  rt::Result<bool> mirror(store::SubscriptionGroupTable master);

 private:
  rt::Result<void> persist();
  rt::Result<void> save();  // persist() without a new data version

  rt::Runtime& rt_;
  const BrokerConfig& cfg_;
  std::string path_;
  store::SubscriptionGroupTable table_;
  rt::Mutex save_;
};

}  // namespace rmq::broker
