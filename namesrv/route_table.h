// The NameServer's route table: which brokers exist, in which clusters, with
// which addresses, which topics they serve, and when each last registered.
//
// Pure state, no I/O and no clock of its own: callers pass the time. Brokers
// register every 30 s; one silent for longer than its timeout (120 s) is
// dropped by expire(), and one whose connection closed by
// remove_connection(). Only masters (broker id 0) update topic routes, and
// only when their DataVersion changed or on first registration; topics a
// registration does not list are kept (registrations may be incremental).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "remoting/route_data.h"
#include "runtime/runtime.h"

namespace rmq::namesrv {

using remoting::BrokerData;
using remoting::ClusterInfo;
using remoting::DataVersion;
using remoting::QueueData;
using remoting::TopicConfig;
using remoting::TopicRouteData;

struct Registration {
  std::string cluster_name;
  std::string broker_name;
  std::string broker_addr;
  std::string ha_server_addr;
  int64_t broker_id = 0;
  // Topic configs, when the registration carried them.
  std::optional<DataVersion> data_version;
  std::map<std::string, TopicConfig> topics;
  std::string connection;  // peer address of the registering connection
  rt::Duration timeout = std::chrono::seconds(120);
};

struct RegisterResult {
  bool first_registration = false;       // this address was not registered
  std::optional<std::string> master_addr;     // for slaves: their master
  std::optional<std::string> ha_server_addr;  // for slaves: the master's HA address
};

class RouteTable {
 public:
  // A master's registration sets its topics' queues when its DataVersion
  // changed (or on its first); a slave's fills in only the topics its
  // broker name lacks, and only while no master of that name is
  // registered (reads from the slave). The master's next such registration
  // drops what a slave filled in that the master does not have.
  RegisterResult register_broker(const Registration& r, rt::Instant now);
  // Returns whether the broker was registered.
  bool unregister_broker(const std::string& cluster, const std::string& broker_name,
                         const std::string& broker_addr, int64_t broker_id);
  // WIPE_WRITE_PERM_OF_BROKER (205) and ADD_WRITE_PERM_OF_BROKER (327):
  // every topic queue of `broker_name` loses the write bit (wipe) or gets
  // read and write (6, add), as RocketMQ's operateWritePermOfBroker does;
  // returns how many topics it touched. It lasts until the broker registers
  // a changed DataVersion (a keep-alive leaves it).
  int32_t set_write_perm(const std::string& broker_name, bool writable);
  // Drops brokers silent past their timeout; returns their addresses.
  std::vector<std::string> expire(rt::Instant now);
  // Drops brokers registered over the connection with this peer address.
  std::vector<std::string> remove_connection(const std::string& connection);

  // QUERY_DATA_VERSION (RocketMQ's isBrokerTopicConfigChanged): whether
  // `v` differs from what the broker last registered (always, when it is
  // not registered). When it does not, the query counts as the broker's
  // heartbeat. `known`: the version the namesrv holds, if any.
  struct VersionCheck {
    bool changed = true;
    std::optional<DataVersion> known;
  };
  VersionCheck check_data_version(const std::string& broker_addr, const DataVersion& v, rt::Instant now);
  // Whether the broker at `addr` is registered (alive).
  bool live(const std::string& broker_addr) const { return live_.count(broker_addr) != 0; }

  std::optional<TopicRouteData> route(const std::string& topic) const;
  ClusterInfo cluster_info() const;
  std::vector<std::string> topics() const;
  std::vector<std::string> topics_of_cluster(const std::string& cluster) const;
  // Deletes the topic's queue data (only that cluster's brokers if given).
  void delete_topic(const std::string& topic, const std::optional<std::string>& cluster);

  bool is_live(const std::string& broker_addr) const { return live_.count(broker_addr) != 0; }
  size_t live_brokers() const { return live_.size(); }

 private:
  struct Live {
    rt::Instant last_update{};
    rt::Duration timeout{};
    DataVersion data_version;
    std::string ha_server_addr;
    std::string connection;
  };
  // Removes one broker address from every table (expiry, close, unregister).
  void remove_address(const std::string& broker_addr);
  void remove_broker_name_if_empty(const std::string& broker_name);
  void drop_queue_data(const std::string& topic, const std::string& broker_name);

  std::map<std::string, std::map<std::string, QueueData>> topic_queues_;  // topic -> broker name -> queues
  // (topic, broker name) queues a slave filled in, until its master
  // registers: what the master then lacks goes.
  std::set<std::pair<std::string, std::string>> from_slave_;
  std::map<std::string, BrokerData> brokers_;                             // broker name -> addresses
  std::map<std::string, std::set<std::string>> clusters_;                 // cluster -> broker names
  std::map<std::string, Live> live_;                                      // broker address -> liveness
};

}  // namespace rmq::namesrv
