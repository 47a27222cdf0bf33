// BrokerConfig: the broker's settings with RocketMQ's property names
// (reference 8.10) and how a properties file maps onto them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/metrics.h"
#include "remoting/rpc.h"
#include "runtime/runtime.h"
#include "store/store_config.h"

namespace rmq::broker {

using namespace std::chrono_literals;

// brokerRole: a master (answering sends at once, or only once a slave has the
// bytes) or a read-only slave replicating its master.
enum class BrokerRole { async_master, sync_master, slave };
std::string_view to_string(BrokerRole r);  // RocketMQ's names: ASYNC_MASTER, ...

struct BrokerConfig {
  std::string cluster_name = "DefaultCluster";  // brokerClusterName
  std::string broker_name = "broker-a";         // brokerName
  int64_t broker_id = 0;                        // brokerId: 0 master, > 0 slave
  BrokerRole role = BrokerRole::async_master;   // brokerRole
  std::vector<std::string> namesrv_addrs;       // namesrvAddr, ';'-separated
  std::string broker_ip = "127.0.0.1";          // brokerIP1: the address registered and stored
  int32_t listen_port = 10911;                  // listenPort
  std::string bind_address = "0.0.0.0";         // not a RocketMQ key: the IP to listen on
  std::string broker_ip2;                       // brokerIP2: the HA address's IP (default brokerIP1)
  int32_t ha_listen_port = 0;                   // haListenPort: 0 = listenPort + 1
  std::string ha_master_address;                // haMasterAddress: else learned from the namesrv
  bool slave_read_enable = false;               // slaveReadEnable
  bool transfer_msg_by_heap = true;             // transferMsgByHeap: false = pull answers by sendfile
  rt::Duration slave_sync_interval = 10s;       // SlaveSynchronize period
  bool auto_create_topic_enable = true;         // autoCreateTopicEnable
  bool auto_create_subscription_group = true;   // autoCreateSubscriptionGroup
  int32_t default_topic_queue_nums = 8;         // defaultTopicQueueNums (TBW102's queues)
  int32_t broker_permission = 6;                // brokerPermission
  std::string region_id = "DefaultRegion";      // regionId
  bool trace_on = true;                         // traceOn
  rt::Duration register_name_server_period = 30s;  // registerNameServerPeriod (clamped 10-60 s)
  rt::Duration register_timeout = 6s;              // registerBrokerTimeoutMills
  rt::Duration flush_consumer_offset_interval = 5s;  // flushConsumerOffsetInterval
  rt::Duration channel_expired_timeout = 120s;  // client channel expiry
  rt::Duration client_scan_interval = 10s;      // ClientHousekeepingService period
  rt::Duration long_polling_recheck = 5s;       // PullRequestHoldService sweep
  rt::Duration suspend_max = 30s;               // upper bound on a held pull
  rt::Duration lock_lease = 60s;                // rocketmq.broker.rebalance.lockMaxLiveTime
  // Delay levels: the table itself is store.delay_level_ms (messageDelayLevel).
  rt::Duration flush_delay_offset_interval = 10s;  // flushDelayOffsetInterval
  // Transactions (reference 8.6).
  bool reject_transaction_message = false;        // rejectTransactionMessage
  rt::Duration transaction_check_interval = 60s;  // transactionCheckInterval
  rt::Duration transaction_timeout = 6s;          // transactionTimeOut: first check-back after
  int32_t transaction_check_max = 15;             // transactionCheckMax: then TRANS_CHECK_MAX_TIME_TOPIC
  int32_t max_transfer_count = 32;              // maxTransferCountOnMessageInMemory
  int64_t max_transfer_bytes = 256 * 1024;      // maxTransferBytesOnMessageInMemory
  // Registration bodies larger than this are sent compressed.
  size_t compress_register_above_bytes = 64 * 1024;
  store::StoreConfig store;
  remoting::ConnectionOptions connection;
  // /metrics: metricsExporterType=PROM, metricsPromExporterHost (default
  // brokerIP1), metricsPromExporterPort (default 5557).
  common::metrics::ExporterConfig metrics;

  std::string address() const { return broker_ip + ":" + std::to_string(listen_port); }
  int32_t ha_port() const { return ha_listen_port > 0 ? ha_listen_port : listen_port + 1; }
  // What the namesrv hands a slave as its master's HA address.
  std::string ha_address() const { return (broker_ip2.empty() ? broker_ip : broker_ip2) + ":" + std::to_string(ha_port()); }
  bool slave() const { return role == BrokerRole::slave; }
  std::string config_dir() const { return store.root_dir + "/config"; }
};

// Reads RocketMQ's keys (brokerClusterName, brokerName, brokerId,
// namesrvAddr, listenPort, brokerIP1, storePathRootDir, flushDiskType,
// autoCreateTopicEnable, defaultTopicQueueNums, messageDelayLevel,
// transactionCheckInterval, ...). An invalid value is
// Errc::invalid_argument naming the key; keys it does not know stay unread
// (props.unknown_keys()) for the caller to warn about.
rt::Result<BrokerConfig> broker_config_from(common::Properties& props);
// The other way (GET_BROKER_CONFIG): every key broker_config_from reads,
// with the value in force; parsing it gives the same config back.
std::map<std::string, std::string> broker_config_properties(const BrokerConfig& c);
// The keys UPDATE_BROKER_CONFIG changes while the broker runs.
bool is_live_setting(std::string_view key);
// `in_force` takes `next`'s values of those keys; the others stay.
void apply_live_settings(BrokerConfig& in_force, const BrokerConfig& next);

}  // namespace rmq::broker
