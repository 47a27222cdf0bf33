// Typed headers of the admin commands (reference section 3.5 and 3.6):
// what mqadmin and rmq-admin send to brokers and namesrvs, and what a
// broker sends a consumer to reset its offsets. decode() answers the
// problems a server reports with SYSTEM_ERROR ("missing required header
// field 'topic'"); encode() writes extFields as mqadmin does. Absent
// optional fields stay nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// UPDATE_AND_CREATE_TOPIC (17).
struct CreateTopicRequestHeader {
  std::string topic{};
  std::string default_topic{};  // TBW102; brokers ignore it
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  std::optional<std::string> topic_filter_type{};  // SINGLE_TAG (default) or MULTI_TAG
  std::optional<int32_t> topic_sys_flag{};
  std::optional<bool> order{};
  static rt::Result<CreateTopicRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const CreateTopicRequestHeader&) const = default;
};

// Requests about one topic: DELETE_TOPIC_IN_BROKER (215),
// GET_TOPIC_STATS_INFO (202), QUERY_TOPIC_CONSUME_BY_WHO (300).
struct TopicRequestHeader {
  std::string topic{};
  static rt::Result<TopicRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const TopicRequestHeader&) const = default;
};

// GET_CONSUME_STATS (208): one topic of the group, or all of them.
struct GetConsumeStatsRequestHeader {
  std::string consumer_group{};
  std::optional<std::string> topic{};
  static rt::Result<GetConsumeStatsRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const GetConsumeStatsRequestHeader&) const = default;
};

// GET_PRODUCER_CONNECTION_LIST (204). (GET_CONSUMER_CONNECTION_LIST, 203,
// takes headers_consumer.h's ConsumerGroupRequestHeader.)
struct GetProducerConnectionListRequestHeader {
  std::string producer_group{};
  static rt::Result<GetProducerConnectionListRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const GetProducerConnectionListRequestHeader&) const = default;
};

// VIEW_BROKER_STATS_DATA (315): e.g. TOPIC_PUT_NUMS by topic,
// GROUP_GET_NUMS by topic@group.
struct ViewBrokerStatsDataRequestHeader {
  std::string stats_name{};
  std::string stats_key{};
  static rt::Result<ViewBrokerStatsDataRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const ViewBrokerStatsDataRequestHeader&) const = default;
};

// DELETE_SUBSCRIPTIONGROUP (207). RocketMQ 4.9 names the offset flag
// removeOffset; 5.x cleanOffset. Either removes the group's offsets.
struct DeleteSubscriptionGroupRequestHeader {
  std::string group_name{};
  std::optional<bool> remove_offset{};
  std::optional<bool> clean_offset{};
  bool removes_offsets() const { return remove_offset.value_or(false) || clean_offset.value_or(false); }
  static rt::Result<DeleteSubscriptionGroupRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const DeleteSubscriptionGroupRequestHeader&) const = default;
};

// VIEW_MESSAGE_BY_ID (33): the record at a CommitLog offset.
struct ViewMessageRequestHeader {
  int64_t offset = 0;
  static rt::Result<ViewMessageRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const ViewMessageRequestHeader&) const = default;
};

// QUERY_MESSAGE (12): by key over a store-time range. The extField
// _UNIQUE_KEY_QUERY=true asks by UNIQ_KEY (the broker then caps maxNum at
// defaultQueryMaxNum, 32).
struct QueryMessageRequestHeader {
  std::string topic{};
  std::string key{};
  int32_t max_num = 0;
  int64_t begin_timestamp = 0;
  int64_t end_timestamp = 0;
  std::optional<bool> unique_key_query{};
  static rt::Result<QueryMessageRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const QueryMessageRequestHeader&) const = default;
};

// QUERY_MESSAGE's answer: how far the index files reach.
struct QueryMessageResponseHeader {
  int64_t index_last_update_timestamp = 0;
  int64_t index_last_update_phyoffset = 0;
  static rt::Result<QueryMessageResponseHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const QueryMessageResponseHeader&) const = default;
};

// INVOKE_BROKER_TO_RESET_OFFSET (222), admin -> broker, and
// RESET_CONSUMER_CLIENT_OFFSET (220), broker -> consumer: the group's
// offsets on `topic` go to the first message stored at or after
// `timestamp` (ms).
struct ResetOffsetRequestHeader {
  std::string topic{};
  std::string group{};
  int64_t timestamp = 0;
  bool is_force = false;
  static rt::Result<ResetOffsetRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const ResetOffsetRequestHeader&) const = default;
};

// WIPE_WRITE_PERM_OF_BROKER (205) and ADD_WRITE_PERM_OF_BROKER (327),
// admin -> namesrv.
struct BrokerPermRequestHeader {
  std::string broker_name{};
  static rt::Result<BrokerPermRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
  bool operator==(const BrokerPermRequestHeader&) const = default;
};

// Their answers: how many of the broker's topics changed, as
// wipeTopicCount (205) or addTopicCount (327).
struct BrokerPermResponseHeader {
  int32_t topic_count = 0;
  // `request_code` is 205 or 327.
  static rt::Result<BrokerPermResponseHeader> decode(const RemotingCommand& c, int32_t request_code);
  void encode(RemotingCommand& c, int32_t request_code) const;
  bool operator==(const BrokerPermResponseHeader&) const = default;
};

}  // namespace rmq::remoting
