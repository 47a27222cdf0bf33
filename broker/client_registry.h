// Producers and consumers the broker knows, by group (RocketMQ's
// ProducerManager and ConsumerManager): one channel per client id, refreshed
// by every HEART_BEAT, dropped on UNREGISTER_CLIENT, when its connection
// closes, or after channel_expired_timeout (120 s) without a heartbeat.
// Consumer membership changes are returned to the caller, which notifies the
// group (NOTIFY_CONSUMER_IDS_CHANGED). Pure bookkeeping: never suspends.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "remoting/heartbeat.h"
#include "remoting/rpc.h"
#include "runtime/runtime.h"

namespace rmq::broker {

struct ClientChannel {
  remoting::ConnectionPtr conn;
  std::string client_id;
  std::string language = "JAVA";
  int32_t version = 0;
  rt::Instant last_update{};
};

struct ConsumerGroupInfo {
  std::map<std::string, ClientChannel> channels;  // by client id
  std::map<std::string, remoting::SubscriptionData> subscriptions;  // by topic
  remoting::ConsumeType consume_type = remoting::ConsumeType::passively;
  remoting::MessageModel message_model = remoting::MessageModel::clustering;
  remoting::ConsumeFromWhere consume_from_where = remoting::ConsumeFromWhere::last_offset;
};

class ClientRegistry {
 public:
  // Upserts the channel and the group's subscriptions. True when the group's
  // membership changed (a new client id) or its subscriptions did.
  bool register_consumer(const remoting::ConsumerData& data, const ClientChannel& ch);
  void register_producer(const std::string& group, const ClientChannel& ch);
  // True when the client was a member.
  bool unregister_consumer(const std::string& group, const std::string& client_id);
  void unregister_producer(const std::string& group, const std::string& client_id);

  // Drops every channel on `conn`; returns the consumer groups that lost one.
  std::vector<std::string> remove_connection(const remoting::Connection* conn);
  // Drops channels silent since before `now - timeout`; returns the
  // consumer groups that lost one.
  std::vector<std::string> expire(rt::Instant now, rt::Duration timeout);

  const ConsumerGroupInfo* consumer_group(const std::string& group) const;
  // Client ids of the group, sorted (what GET_CONSUMER_LIST_BY_GROUP answers).
  std::vector<std::string> consumer_ids(const std::string& group) const;
  std::vector<std::string> consumer_groups() const;
  // Channels of a producer group, by client id.
  const std::map<std::string, ClientChannel>* producer_group(const std::string& group) const;
  const std::map<std::string, std::map<std::string, ClientChannel>>& producers() const { return producers_; }
  const std::map<std::string, ConsumerGroupInfo>& consumers() const { return consumers_; }

 private:
  std::map<std::string, ConsumerGroupInfo> consumers_;
  std::map<std::string, std::map<std::string, ClientChannel>> producers_;
};

}  // namespace rmq::broker
