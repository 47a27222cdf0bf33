// Consumer and offset commands (reference 3.3): offsets, queue offset
// queries, client registration, send-back. Each header struct reads and
// writes its extFields; absent optional fields stay nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// QUERY_CONSUMER_OFFSET (14).
struct QueryConsumerOffsetRequestHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  std::optional<bool> set_zero_if_not_found;
  static rt::Result<QueryConsumerOffsetRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// UPDATE_CONSUMER_OFFSET (15).
struct UpdateConsumerOffsetRequestHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t commit_offset = 0;
  static rt::Result<UpdateConsumerOffsetRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32).
struct QueueRequestHeader {
  std::string topic;
  int32_t queue_id = 0;
  static rt::Result<QueueRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// SEARCH_OFFSET_BY_TIMESTAMP (29).
struct SearchOffsetRequestHeader {
  std::string topic;
  int32_t queue_id = 0;
  int64_t timestamp = 0;
  std::optional<std::string> boundary_type;  // "lower" (default) / "upper"
  static rt::Result<SearchOffsetRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// Responses of 14/29/30/31 carry `offset`; 32 carries `timestamp`.
struct OffsetResponseHeader {
  int64_t offset = 0;
  static rt::Result<OffsetResponseHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// UNREGISTER_CLIENT (35).
struct UnregisterClientRequestHeader {
  std::string client_id;
  std::optional<std::string> producer_group;
  std::optional<std::string> consumer_group;
  static rt::Result<UnregisterClientRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// GET_CONSUMER_LIST_BY_GROUP (38) and NOTIFY_CONSUMER_IDS_CHANGED (40).
struct ConsumerGroupRequestHeader {
  std::string consumer_group;
  static rt::Result<ConsumerGroupRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// CONSUMER_SEND_MSG_BACK (36).
struct ConsumerSendMsgBackRequestHeader {
  int64_t offset = 0;  // CommitLog offset of the failed message
  std::string group;
  int32_t delay_level = 0;
  std::optional<std::string> origin_msg_id;
  std::optional<std::string> origin_topic;
  bool unit_mode = false;
  std::optional<int32_t> max_reconsume_times;
  static rt::Result<ConsumerSendMsgBackRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

}  // namespace rmq::remoting
