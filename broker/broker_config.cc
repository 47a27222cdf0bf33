#include "broker/broker_config.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/message_format.h"
#include "store/delay_levels.h"

namespace rmq::broker {

namespace {

rt::Error bad(std::string_view key, std::string why) {
  return rt::Error(rt::Errc::invalid_argument, fmt::format("{}: {}", key, why));
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 127) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace

std::string_view to_string(BrokerRole r) {
  switch (r) {
    case BrokerRole::async_master: return "ASYNC_MASTER";
    case BrokerRole::sync_master: return "SYNC_MASTER";
    case BrokerRole::slave: return "SLAVE";
  }
  return "?";
}

rt::Result<BrokerConfig> broker_config_from(common::Properties& props) {
  BrokerConfig c;
  c.cluster_name = props.get_string("brokerClusterName", c.cluster_name);
  if (!valid_name(c.cluster_name)) return bad("brokerClusterName", "'" + c.cluster_name + "' is not a valid name");
  c.broker_name = props.get_string("brokerName", c.broker_name);
  if (!valid_name(c.broker_name)) return bad("brokerName", "'" + c.broker_name + "' is not a valid name");
  auto id = props.get_int("brokerId", 0, 0, INT32_MAX);
  if (!id) return id.error();
  c.broker_id = *id;
  c.namesrv_addrs = common::split_address_list(props.get_string("namesrvAddr", ""));
  for (const auto& a : c.namesrv_addrs)
    if (a.find(':') == std::string::npos) return bad("namesrvAddr", "'" + a + "' is not host:port");
  c.broker_ip = props.get_string("brokerIP1", c.broker_ip);
  if (!common::parse_host_port4(c.broker_ip + ":0")) return bad("brokerIP1", "'" + c.broker_ip + "' is not an IPv4 address");
  auto port = props.get_int("listenPort", c.listen_port, 1, 65535);
  if (!port) return port.error();
  c.listen_port = static_cast<int32_t>(*port);
  c.bind_address = props.get_string("bindAddress", c.bind_address);
  auto auto_topic = props.get_bool("autoCreateTopicEnable", c.auto_create_topic_enable);
  if (!auto_topic) return auto_topic.error();
  c.auto_create_topic_enable = *auto_topic;
  auto auto_group = props.get_bool("autoCreateSubscriptionGroup", c.auto_create_subscription_group);
  if (!auto_group) return auto_group.error();
  c.auto_create_subscription_group = *auto_group;
  auto queues = props.get_int("defaultTopicQueueNums", c.default_topic_queue_nums, 1, 1024);
  if (!queues) return queues.error();
  c.default_topic_queue_nums = static_cast<int32_t>(*queues);
  auto perm = props.get_int("brokerPermission", c.broker_permission, 0, 7);
  if (!perm) return perm.error();
  c.broker_permission = static_cast<int32_t>(*perm);
  c.region_id = props.get_string("regionId", c.region_id);
  auto trace = props.get_bool("traceOn", c.trace_on);
  if (!trace) return trace.error();
  c.trace_on = *trace;
  auto period = props.get_int("registerNameServerPeriod", 30000, 1, 3'600'000);
  if (!period) return period.error();
  c.register_name_server_period = std::chrono::milliseconds(std::clamp<int64_t>(*period, 10'000, 60'000));
  auto offsets = props.get_int("flushConsumerOffsetInterval", 5000, 100, 3'600'000);
  if (!offsets) return offsets.error();
  c.flush_consumer_offset_interval = std::chrono::milliseconds(*offsets);
  auto delay_offsets = props.get_int("flushDelayOffsetInterval", 10'000, 100, 3'600'000);
  if (!delay_offsets) return delay_offsets.error();
  c.flush_delay_offset_interval = std::chrono::milliseconds(*delay_offsets);
  auto reject_tx = props.get_bool("rejectTransactionMessage", c.reject_transaction_message);
  if (!reject_tx) return reject_tx.error();
  c.reject_transaction_message = *reject_tx;
  auto check_interval = props.get_int("transactionCheckInterval", 60'000, 100, 24 * 3'600'000);
  if (!check_interval) return check_interval.error();
  c.transaction_check_interval = std::chrono::milliseconds(*check_interval);
  auto tx_timeout = props.get_int("transactionTimeOut", 6'000, 0, 24 * 3'600'000);
  if (!tx_timeout) return tx_timeout.error();
  c.transaction_timeout = std::chrono::milliseconds(*tx_timeout);
  auto check_max = props.get_int("transactionCheckMax", 15, 1, 1'000'000);
  if (!check_max) return check_max.error();
  c.transaction_check_max = static_cast<int32_t>(*check_max);

  // The store.
  auto& s = c.store;
  s.root_dir = props.get_string("storePathRootDir", "store");  // rmq-broker defaults it to ~/store
  const std::string flush = props.get_string("flushDiskType", "ASYNC_FLUSH");
  if (flush == "ASYNC_FLUSH") {
    s.flush_disk_type = store::FlushDiskType::async_flush;
  } else if (flush == "SYNC_FLUSH") {
    s.flush_disk_type = store::FlushDiskType::sync_flush;
  } else {
    return bad("flushDiskType", "expected ASYNC_FLUSH or SYNC_FLUSH, got '" + flush + "'");
  }
  const std::string role = props.get_string("brokerRole", "ASYNC_MASTER");
  if (role == "ASYNC_MASTER") {
    c.role = BrokerRole::async_master;
  } else if (role == "SYNC_MASTER") {
    c.role = BrokerRole::sync_master;
  } else if (role == "SLAVE") {
    c.role = BrokerRole::slave;
  } else {
    return bad("brokerRole", "expected ASYNC_MASTER, SYNC_MASTER or SLAVE, got '" + role + "'");
  }
  if (c.slave() && c.broker_id == 0)
    return bad("brokerId", "brokerRole=SLAVE needs brokerId > 0 (0 is the master's id)");
  if (!c.slave() && c.broker_id != 0)
    return bad("brokerId", fmt::format("brokerRole={} needs brokerId=0 (got {}; ids above 0 are slaves)", role,
                                       c.broker_id));
  s.replica = c.slave();
  c.broker_ip2 = props.get_string("brokerIP2", "");
  if (!c.broker_ip2.empty() && !common::parse_host_port4(c.broker_ip2 + ":0"))
    return bad("brokerIP2", "'" + c.broker_ip2 + "' is not an IPv4 address");
  auto ha_port = props.get_int("haListenPort", c.listen_port + 1, 1, 65535);
  if (!ha_port) return ha_port.error();
  c.ha_listen_port = static_cast<int32_t>(*ha_port);
  if (c.ha_listen_port == c.listen_port) return bad("haListenPort", "must differ from listenPort");
  c.ha_master_address = props.get_string("haMasterAddress", "");
  if (!c.ha_master_address.empty() && !common::parse_host_port4(c.ha_master_address))
    return bad("haMasterAddress", "'" + c.ha_master_address + "' is not ip:port");
  auto ha_heartbeat = props.get_int("haSendHeartbeatInterval", 5000, 100, 3'600'000);
  if (!ha_heartbeat) return ha_heartbeat.error();
  s.ha.heartbeat_interval = std::chrono::milliseconds(*ha_heartbeat);
  auto ha_housekeeping = props.get_int("haHousekeepingInterval", 20'000, 1000, 3'600'000);
  if (!ha_housekeeping) return ha_housekeeping.error();
  s.ha.housekeeping_interval = std::chrono::milliseconds(*ha_housekeeping);
  if (s.ha.housekeeping_interval <= s.ha.heartbeat_interval)
    return bad("haHousekeepingInterval", "must be longer than haSendHeartbeatInterval");
  auto ha_batch = props.get_int("haTransferBatchSize", 32 * 1024, 512, 64 * 1024 * 1024);
  if (!ha_batch) return ha_batch.error();
  s.ha.transfer_batch_bytes = static_cast<size_t>(*ha_batch);
  auto ha_behind = props.get_int("haSlaveFallbehindMax", s.ha.slave_fallbehind_max, 1, INT64_MAX);
  if (!ha_behind) return ha_behind.error();
  s.ha.slave_fallbehind_max = *ha_behind;
  auto slave_read = props.get_bool("slaveReadEnable", c.slave_read_enable);
  if (!slave_read) return slave_read.error();
  c.slave_read_enable = *slave_read;
  auto by_heap = props.get_bool("transferMsgByHeap", c.transfer_msg_by_heap);
  if (!by_heap) return by_heap.error();
  c.transfer_msg_by_heap = *by_heap;
  auto seg = props.get_int("mappedFileSizeCommitLog", static_cast<int64_t>(s.commit_log_segment_bytes), 64 * 1024,
                           int64_t{1} << 40);
  if (!seg) return seg.error();
  s.commit_log_segment_bytes = static_cast<uint64_t>(*seg);
  auto max_size = props.get_int("maxMessageSize", s.max_message_size, 1, 64 * 1024 * 1024);
  if (!max_size) return max_size.error();
  s.max_message_size = static_cast<uint32_t>(*max_size);
  auto flush_ms = props.get_int("flushIntervalCommitLog", 500, 1, 3'600'000);
  if (!flush_ms) return flush_ms.error();
  s.flush_interval_commit_log = std::chrono::milliseconds(*flush_ms);
  auto sync_timeout = props.get_int("syncFlushTimeout", 5000, 1, 3'600'000);
  if (!sync_timeout) return sync_timeout.error();
  s.sync_flush_timeout = std::chrono::milliseconds(*sync_timeout);
  auto reserved = props.get_int("fileReservedTime", s.file_reserved_hours, 1, 24 * 365 * 10);
  if (!reserved) return reserved.error();
  s.file_reserved_hours = *reserved;
  s.delete_when = props.get_string("deleteWhen", s.delete_when);
  auto ratio = props.get_int("diskMaxUsedSpaceRatio", s.disk_max_used_space_ratio, 10, 95);
  if (!ratio) return ratio.error();
  s.disk_max_used_space_ratio = static_cast<int>(*ratio);
  auto levels = store::parse_delay_levels(props.get_string("messageDelayLevel", store::kDefaultMessageDelayLevel));
  if (!levels) return bad("messageDelayLevel", levels.error().detail());
  s.delay_level_ms = std::move(*levels);
  auto index = props.get_bool("messageIndexEnable", s.message_index_enable);
  if (!index) return index.error();
  s.message_index_enable = *index;
  s.store_host = c.address();
  auto metrics = common::exporter_config_from(props);
  if (!metrics) return metrics.error();
  c.metrics = std::move(*metrics);
  return c;
}

namespace {

std::string ms_of(rt::Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}
std::string bool_of(bool b) { return b ? "true" : "false"; }

}  // namespace

std::map<std::string, std::string> broker_config_properties(const BrokerConfig& c) {
  const store::StoreConfig& s = c.store;
  std::string namesrvs;
  for (const auto& a : c.namesrv_addrs) namesrvs += (namesrvs.empty() ? "" : ";") + a;
  return {
      {"brokerClusterName", c.cluster_name},
      {"brokerName", c.broker_name},
      {"brokerId", std::to_string(c.broker_id)},
      {"namesrvAddr", namesrvs},
      {"brokerIP1", c.broker_ip},
      {"listenPort", std::to_string(c.listen_port)},
      {"bindAddress", c.bind_address},
      {"autoCreateTopicEnable", bool_of(c.auto_create_topic_enable)},
      {"autoCreateSubscriptionGroup", bool_of(c.auto_create_subscription_group)},
      {"defaultTopicQueueNums", std::to_string(c.default_topic_queue_nums)},
      {"brokerPermission", std::to_string(c.broker_permission)},
      {"regionId", c.region_id},
      {"traceOn", bool_of(c.trace_on)},
      {"registerNameServerPeriod", ms_of(c.register_name_server_period)},
      {"flushConsumerOffsetInterval", ms_of(c.flush_consumer_offset_interval)},
      {"flushDelayOffsetInterval", ms_of(c.flush_delay_offset_interval)},
      {"rejectTransactionMessage", bool_of(c.reject_transaction_message)},
      {"transactionCheckInterval", ms_of(c.transaction_check_interval)},
      {"transactionTimeOut", ms_of(c.transaction_timeout)},
      {"transactionCheckMax", std::to_string(c.transaction_check_max)},
      {"storePathRootDir", s.root_dir},
      {"flushDiskType", s.flush_disk_type == store::FlushDiskType::sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH"},
      {"brokerRole", std::string(to_string(c.role))},
      {"brokerIP2", c.broker_ip2.empty() ? c.broker_ip : c.broker_ip2},
      {"haListenPort", std::to_string(c.ha_port())},
      {"haMasterAddress", c.ha_master_address},
      {"haSendHeartbeatInterval", ms_of(s.ha.heartbeat_interval)},
      {"haHousekeepingInterval", ms_of(s.ha.housekeeping_interval)},
      {"haTransferBatchSize", std::to_string(s.ha.transfer_batch_bytes)},
      {"haSlaveFallbehindMax", std::to_string(s.ha.slave_fallbehind_max)},
      {"slaveReadEnable", bool_of(c.slave_read_enable)},
      {"transferMsgByHeap", bool_of(c.transfer_msg_by_heap)},
      {"mappedFileSizeCommitLog", std::to_string(s.commit_log_segment_bytes)},
      {"maxMessageSize", std::to_string(s.max_message_size)},
      {"flushIntervalCommitLog", ms_of(s.flush_interval_commit_log)},
      {"syncFlushTimeout", ms_of(s.sync_flush_timeout)},
      {"fileReservedTime", std::to_string(s.file_reserved_hours)},
      {"deleteWhen", s.delete_when},
      {"diskMaxUsedSpaceRatio", std::to_string(s.disk_max_used_space_ratio)},
      {"messageDelayLevel", store::format_delay_levels(s.delay_level_ms)},
      {"messageIndexEnable", bool_of(s.message_index_enable)},
      {"metricsExporterType", c.metrics.prometheus ? "PROM" : "DISABLE"},
      {"metricsPromExporterHost", c.metrics.host},
      {"metricsPromExporterPort", std::to_string(c.metrics.port)},
  };
}

}  // namespace rmq::broker
