// The admin API (RocketMQ's MQAdminExt) on top of a client instance: what
// rmq-admin and any operator's program use to ask namesrvs and brokers.
//
//   client::MqClient mq(rt, cfg);            // namesrvs, timeouts
//   client::Admin admin(mq);
//   auto info = admin.cluster_info();        // AdminResult<ClusterInfo>
//   if (!info) puts(info.error().message.c_str());
//
// Namesrv requests go to each namesrv in turn, the one that answered last
// first, until one answers; requests to brokers go over the instance's
// connections. Every failure is an AdminError whose message names the
// address and, for a RocketMQ error answer, the response code's name,
// number and remark:
//
//   namesrv 127.0.0.1:9876 answered TOPIC_NOT_EXIST (17): No topic route ...
//   cannot reach broker 127.0.0.1:10911 (refused)
//
// Each call suspends; use from one task of the client's runtime.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "client/mq_client.h"
#include "remoting/admin_bodies.h"
#include "remoting/command.h"
#include "remoting/headers_admin.h"
#include "remoting/route_data.h"

namespace rmq::client {

struct AdminError {
  enum class Kind { usage, unreachable, refused, undecodable };
  Kind kind = Kind::refused;
  std::string message;
  int32_t response_code = 0;  // of the error answer, when that is what failed
};

inline AdminError usage_error(std::string message) { return {AdminError::Kind::usage, std::move(message), 0}; }
inline AdminError admin_error(std::string message) { return {AdminError::Kind::refused, std::move(message), 0}; }

// A value or an AdminError.
template <class T>
class [[nodiscard]] AdminResult {
 public:
  AdminResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  AdminResult(AdminError e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const AdminError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, AdminError> v_;
};

template <>
class [[nodiscard]] AdminResult<void> {
 public:
  AdminResult() = default;
  AdminResult(AdminError e) : e_(std::move(e)) {}
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const AdminError& error() const { return *e_; }

 private:
  std::optional<AdminError> e_;
};

// "TOPIC_NOT_EXIST (17): <remark>".
std::string describe_code(const remoting::RemotingCommand& response);
// "broker 127.0.0.1:10911 answered TOPIC_NOT_EXIST (17): <remark>", the code kept.
AdminError answered(std::string_view role, const std::string& addr, const remoting::RemotingCommand& response);
// "the <what> of broker 127.0.0.1:10911 does not decode: <detail>".
AdminError undecodable(std::string_view what, const std::string& addr, const rt::Error& e);

class Admin {
 public:
  explicit Admin(MqClient& client) : client_(client) {}

  MqClient& client() { return client_; }

  // `request` to the namesrvs until one answers; a non-SUCCESS answer is an
  // error (the others are not asked: they would answer the same).
  AdminResult<remoting::RemotingCommand> ask_namesrv(const remoting::RemotingCommand& request);
  // `request` to every namesrv (updates must reach each); an error naming
  // each one that was unreachable or refused.
  AdminResult<void> tell_every_namesrv(const remoting::RemotingCommand& request);
  // `request` to each namesrv in turn, every answer kept (a non-SUCCESS one
  // as an error), for commands that report per namesrv.
  std::vector<std::pair<std::string, AdminResult<remoting::RemotingCommand>>> ask_each_namesrv(
      const remoting::RemotingCommand& request);
  // `request` to the broker at `addr`; a non-SUCCESS answer is an error.
  AdminResult<remoting::RemotingCommand> ask_broker(const std::string& addr, remoting::RemotingCommand request);
  // `request` to the broker at `addr`, whatever the answer's code (pulls,
  // queries and sends judge their own codes). An error only when unreachable.
  AdminResult<remoting::RemotingCommand> exchange(const std::string& addr, remoting::RemotingCommand request);

  // GET_ROUTEINFO_BY_TOPIC (105): decoded, or the body as the namesrv sent it.
  AdminResult<remoting::TopicRouteData> route(const std::string& topic);
  AdminResult<std::string> route_json(const std::string& topic);
  // GET_BROKER_CLUSTER_INFO (106).
  AdminResult<remoting::ClusterInfo> cluster_info();
  // GET_BROKER_RUNTIME_INFO (28): the {"table":{...}} entries.
  AdminResult<std::map<std::string, std::string>> broker_runtime_info(const std::string& addr);

  // ---- topics ----
  // UPDATE_AND_CREATE_TOPIC (17) at `addr`.
  AdminResult<void> create_topic(const std::string& addr, const remoting::CreateTopicRequestHeader& topic);
  // An ordered topic's ORDER_TOPIC_CONFIG ("brokerName:queues;...") at every
  // namesrv; erased when `conf` is nullopt.
  AdminResult<void> set_order_conf(const std::string& topic, const std::optional<std::string>& conf);
  // GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
  AdminResult<std::vector<std::string>> topic_list();
  // GET_TOPIC_STATS_INFO (202): the topic's queues on `addr`.
  AdminResult<std::vector<remoting::TopicQueueStats>> topic_stats(const std::string& addr, const std::string& topic);
  // QUERY_TOPIC_CONSUME_BY_WHO (300): the groups consuming it on `addr`.
  AdminResult<std::vector<std::string>> consumed_by(const std::string& addr, const std::string& topic);
  // VIEW_BROKER_STATS_DATA (315), e.g. ("TOPIC_PUT_NUMS", topic) or
  // ("GROUP_GET_NUMS", "topic@group").
  AdminResult<remoting::BrokerStatsData> broker_stats(const std::string& addr, const std::string& name,
                                                      const std::string& key);

  // ---- messages ----
  // VIEW_MESSAGE_BY_ID (33): the record at a CommitLog offset of `addr`.
  AdminResult<common::StoredMessage> view_message(const std::string& addr, int64_t commit_log_offset);
  // QUERY_MESSAGE (12) on every master of `topic`'s route: the messages that
  // really carry `key` among their KEYS (the index may collide), or, when
  // `unique`, as UNIQ_KEY. None found is an error naming the key.
  struct FoundMessage {
    std::string broker_name;
    common::StoredMessage message;
  };
  AdminResult<std::vector<FoundMessage>> query_message(const std::string& topic, const std::string& key, bool unique,
                                                       int32_t max_per_broker = 64);

  // ---- brokers ----
  // GET_BROKER_CONFIG (26): key -> value.
  AdminResult<std::map<std::string, std::string>> broker_config(const std::string& addr);
  // UPDATE_BROKER_CONFIG (25): one key.
  AdminResult<void> update_broker_config(const std::string& addr, const std::string& key, const std::string& value);
  // WIPE_WRITE_PERM_OF_BROKER (205) / ADD_WRITE_PERM_OF_BROKER (327) at
  // each namesrv in turn: how many of the broker's topics each changed.
  std::vector<std::pair<std::string, AdminResult<int32_t>>> set_write_perm(const std::string& broker_name,
                                                                            bool writable);

  // ---- consumer and producer groups (MQAdminExt's) ----
  // GET_CONSUME_STATS (208): the group's queues on `addr`, of `topic` or of
  // every topic it has offsets for.
  AdminResult<remoting::ConsumeStats> consume_stats(const std::string& addr, const std::string& group,
                                                    const std::optional<std::string>& topic);
  // GET_CONSUMER_CONNECTION_LIST (203) / GET_PRODUCER_CONNECTION_LIST (204).
  AdminResult<remoting::GroupConnections> consumer_connections(const std::string& addr, const std::string& group);
  AdminResult<remoting::GroupConnections> producer_connections(const std::string& addr, const std::string& group);
  // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): `config_json` is one
  // SubscriptionGroupConfig. DELETE_SUBSCRIPTIONGROUP (207).
  AdminResult<void> create_subscription_group(const std::string& addr, const std::string& config_json);
  AdminResult<void> delete_subscription_group(const std::string& addr, const std::string& group, bool remove_offsets);
  // DELETE_TOPIC_IN_BROKER (215) at `addr`; DELETE_TOPIC_IN_NAMESRV (216) at every namesrv.
  AdminResult<void> delete_topic_in_broker(const std::string& addr, const std::string& topic);
  AdminResult<void> delete_topic_in_namesrvs(const std::string& topic, const std::string& cluster);
  // SEARCH_OFFSET_BY_TIMESTAMP (29): the first offset stored at or after `ms`, as the broker says.
  AdminResult<int64_t> search_offset(const std::string& addr, const remoting::MessageQueueKey& mq, int64_t ms);
  // UPDATE_CONSUMER_OFFSET (15), answered.
  AdminResult<void> update_consumer_offset(const std::string& addr, const std::string& group,
                                           const remoting::MessageQueueKey& mq, int64_t offset);
  // mqadmin's resetOffsetByTime: each queue of `topic` to the first message
  // stored at or after `ms` (-1: the queue's end), when `force` or when that
  // moves it back. With members online each master tells them
  // (INVOKE_BROKER_TO_RESET_OFFSET, 222) and they commit; when a master says
  // the group is offline, the offsets are set here instead (mqadmin's
  // fallback), from each queue's consume stats.
  struct ResetQueue {
    remoting::MessageQueueKey mq;
    int64_t broker_offset = -1;    // offline only: the queue's end
    int64_t consumer_offset = -1;  // offline only: before the reset
    int64_t time_offset = -1;      // offline only: where `ms` falls
    int64_t offset = 0;            // where the group's offset is now
  };
  struct ResetOutcome {
    bool online = true;  // the members reset themselves
    std::vector<ResetQueue> queues;
  };
  AdminResult<ResetOutcome> reset_offset_by_time(const std::string& topic, const std::string& group, int64_t ms,
                                                 bool force);

 private:
  rt::Duration timeout() const { return client_.config().rpc_timeout; }
  AdminError unreachable(std::string_view role, const std::string& addr, const rt::Error& e) const;

  MqClient& client_;
  size_t namesrv_next_ = 0;  // the namesrv that answered last
};

}  // namespace rmq::client
