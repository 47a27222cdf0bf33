// The client instance: one per process per cluster (RocketMQ's
// MQClientInstance), shared by that process's producers and consumers.
//
// It keeps topic routes (refreshed from the namesrvs every
// poll_name_server_interval, trying each namesrv in turn; a route stays
// cached while every namesrv is down), heart-beats every broker it knows
// every heartbeat_broker_interval with its producer groups and consumer
// subscriptions (and at once when a route names a new broker), and owns the connections (one per address, reused). Server
// requests (NOTIFY_CONSUMER_IDS_CHANGED) go to the registered consumers.
//
// Tasks: "client-routes", "client-heartbeat"; started by start(), cancelled
// and joined by stop(). Everything runs on one runtime.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/message_const.h"
#include "common/message_format.h"
#include "remoting/headers_transaction.h"
#include "remoting/heartbeat.h"
#include "remoting/route_data.h"
#include "remoting/rpc.h"
#include "runtime/runtime.h"

namespace rmq::client {

using namespace std::chrono_literals;

// The topic brokers auto-create others from (RocketMQ's createTopicKey).
using common::kAutoCreateTopic;

struct ClientConfig {
  std::vector<std::string> namesrv_addrs{};
  std::string client_ip = "127.0.0.1";     // goes into the client id and UNIQ_KEYs
  std::string instance_name = "DEFAULT";   // a second instance in one process needs another name
  rt::Duration poll_name_server_interval = 30s;  // pollNameServerInterval
  rt::Duration heartbeat_broker_interval = 30s;  // heartbeatBrokerInterval
  rt::Duration rpc_timeout = 3s;
  remoting::ClientOptions rpc{};
};

// A queue of a topic on one broker.
struct MessageQueue {
  std::string topic{};
  std::string broker_name{};
  int32_t queue_id = 0;
  auto operator<=>(const MessageQueue&) const = default;
  std::string to_string() const { return topic + "@" + broker_name + "@" + std::to_string(queue_id); }
};

class MqClient {
 public:
  MqClient(rt::Runtime& rt, ClientConfig cfg);
  ~MqClient();  // stop()
  MqClient(const MqClient&) = delete;
  MqClient& operator=(const MqClient&) = delete;

  void start();
  void stop();  // Suspends.

  const std::string& client_id() const { return client_id_; }
  const ClientConfig& config() const { return cfg_; }
  rt::Runtime& runtime() { return rt_; }
  remoting::RpcClient& rpc() { return *rpc_; }

  // The topic's route, from the cache or the namesrvs. Errc::not_found when
  // no namesrv knows it (and none is cached). Suspends.
  rt::Result<remoting::TopicRouteData> route(const std::string& topic);
  // Refreshes every known topic's route now. Suspends.
  void refresh_routes();
  // Master (broker id 0) address of a broker, from the cached routes.
  std::optional<std::string> master_address(const std::string& broker_name) const;
  // RocketMQ's findBrokerAddressInSubscribe(name, id, onlyThisBroker=false):
  // where to read from and commit offsets: broker `broker_id` of the group
  // (for a slave id, also the next one), else its lowest id present (the
  // master while it is in the route, a slave once it left).
  struct BrokerChoice {
    std::string address;
    bool slave = false;
  };
  std::optional<BrokerChoice> subscribe_address(const std::string& broker_name, int64_t broker_id = 0) const;
  // Every broker address the cached routes name (masters first).
  std::vector<std::string> broker_addresses() const;

  // What the heartbeat carries; the producer and consumer register here.
  void add_producer_group(const std::string& group);
  void remove_producer_group(const std::string& group);
  using ConsumerDataFn = std::function<remoting::ConsumerData()>;
  using NotifyFn = std::function<void()>;
  // RESET_CONSUMER_CLIENT_OFFSET from a broker: the group's new offsets on
  // `topic` (an operator's resetOffsetByTime). Runs in a task of its own.
  using ResetFn = std::function<void(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets)>;
  void add_consumer(const std::string& group, ConsumerDataFn data, NotifyFn on_ids_changed, ResetFn on_reset = {});
  void remove_consumer(const std::string& group);
  // Sends a heartbeat to every broker now. Suspends.
  void heartbeat_all();
  // CHECK_TRANSACTION_STATE requests for a producer group (the half
  // message's PGROUP) go to `fn`, in a task of their own, with the asking
  // broker's address, the header and the half message as the broker sent it.
  using TransactionCheckFn = std::function<void(const std::string& broker_addr,
                                                const remoting::CheckTransactionStateRequestHeader& header,
                                                const common::StoredMessage& half)>;
  // Returns the registration (false when the group has a checker already:
  // one transaction producer per group per client, as in RocketMQ).
  std::optional<uint64_t> add_transaction_checker(const std::string& group, TransactionCheckFn fn);
  void remove_transaction_checker(const std::string& group, uint64_t registration);

  // The invoker of broker requests: fails fast when the address is empty.
  rt::Result<remoting::RemotingCommand> invoke(const std::string& addr, remoting::RemotingCommand req,
                                               rt::Duration timeout);

 private:
  rt::Result<remoting::TopicRouteData> fetch_route(const std::string& topic);
  void route_loop();
  void heartbeat_loop();

  rt::Runtime& rt_;
  ClientConfig cfg_;
  std::string client_id_{};
  remoting::Dispatcher from_brokers_;
  std::unique_ptr<remoting::RpcClient> rpc_;
  std::map<std::string, remoting::TopicRouteData> routes_;
  std::map<std::string, int> producer_groups_;  // group -> producers using it
  struct Consumer {
    ConsumerDataFn data;
    NotifyFn on_ids_changed;
    ResetFn on_reset;
  };
  std::map<std::string, Consumer> consumers_;
  std::map<std::string, std::pair<uint64_t, TransactionCheckFn>> transaction_checkers_;
  uint64_t next_registration_ = 1;
  size_t namesrv_next_ = 0;  // the namesrv to try first
  rt::Event heartbeat_now_;  // a route named a broker not heart-beaten yet
  std::vector<rt::Task> tasks_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace rmq::client
