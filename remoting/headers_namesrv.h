// Typed headers of the NameServer commands (reference section 3.1).
// decode() answers the problems a server reports with SYSTEM_ERROR;
// encode() writes extFields as a Java client would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// REGISTER_BROKER (103), broker -> namesrv.
struct RegisterBrokerRequestHeader {
  std::string broker_name;
  std::string broker_addr;   // brokerIP1:listenPort
  std::string cluster_name;
  std::string ha_server_addr;
  int64_t broker_id = 0;     // 0 master, > 0 slave
  std::optional<int64_t> heartbeat_timeout_millis;
  bool compressed = false;
  int32_t body_crc32 = 0;    // 0: not checked

  static rt::Result<RegisterBrokerRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

struct RegisterBrokerResponseHeader {
  std::optional<std::string> ha_server_addr;
  std::optional<std::string> master_addr;
  void encode(RemotingCommand& c) const;
  static rt::Result<RegisterBrokerResponseHeader> decode(const RemotingCommand& c);
};

// UNREGISTER_BROKER (104).
struct UnregisterBrokerRequestHeader {
  std::string broker_name;
  std::string broker_addr;
  std::string cluster_name;
  int64_t broker_id = 0;
  static rt::Result<UnregisterBrokerRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// QUERY_DATA_VERSION (322): the same four fields; the body is the broker's
// DataVersion. The answer's header says whether the namesrv's copy differs.
using QueryDataVersionRequestHeader = UnregisterBrokerRequestHeader;
struct QueryDataVersionResponseHeader {
  bool changed = true;
  static rt::Result<QueryDataVersionResponseHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// GET_ROUTEINFO_BY_TOPIC (105).
struct GetRouteInfoRequestHeader {
  std::string topic;
  std::optional<bool> accept_standard_json_only;
  static rt::Result<GetRouteInfoRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// PUT_KV_CONFIG (100), GET_KV_CONFIG (101), DELETE_KV_CONFIG (102).
struct KvConfigRequestHeader {
  std::string name_space;  // "namespace" on the wire
  std::string key;
  std::optional<std::string> value;  // PUT only (required there)
  static rt::Result<KvConfigRequestHeader> decode(const RemotingCommand& c, bool value_required);
  void encode(RemotingCommand& c) const;
};

struct GetKvConfigResponseHeader {
  std::string value;
  void encode(RemotingCommand& c) const;
};

// DELETE_TOPIC_IN_NAMESRV (216).
struct DeleteTopicFromNamesrvRequestHeader {
  std::string topic;
  std::optional<std::string> cluster_name;
  static rt::Result<DeleteTopicFromNamesrvRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

}  // namespace rmq::remoting
