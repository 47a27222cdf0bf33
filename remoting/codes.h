// RocketMQ request and response codes (reference section 2; values from
// apache/rocketmq RequestCode.java, ResponseCode.java and
// RemotingSysResponseCode.java, 4.9.8 and 5.x).
//
// Each list below is the one source for its constants and for the name
// lookup: constants are `request_code::kSendMessage`, `response_code::kSuccess`
// (the Java name in UpperCamelCase), and `request_code_name(10)` gives
// "SEND_MESSAGE". Left out: the 5.x controller (1001-1013), cold-data flow
// control (2001-2004) and auth (3001-3010) request codes and the matching
// response codes (2000-2016, 3001-3002), which this implementation never
// sends or serves.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

namespace rmq::remoting {

// X(constant, value, "JAVA_NAME"), ascending by value. A value may appear
// twice where 4.x and 5.x gave it different names.
#define RMQ_REQUEST_CODES(X) \
  X(kSendMessage, 10, "SEND_MESSAGE") \
  X(kPullMessage, 11, "PULL_MESSAGE") \
  X(kQueryMessage, 12, "QUERY_MESSAGE") \
  X(kQueryBrokerOffset, 13, "QUERY_BROKER_OFFSET") \
  X(kQueryConsumerOffset, 14, "QUERY_CONSUMER_OFFSET") \
  X(kUpdateConsumerOffset, 15, "UPDATE_CONSUMER_OFFSET") \
  X(kUpdateAndCreateTopic, 17, "UPDATE_AND_CREATE_TOPIC") \
  X(kUpdateAndCreateTopicList, 18, "UPDATE_AND_CREATE_TOPIC_LIST") \
  X(kGetAllTopicConfig, 21, "GET_ALL_TOPIC_CONFIG") \
  X(kGetTopicConfigList, 22, "GET_TOPIC_CONFIG_LIST") \
  X(kGetTopicNameList, 23, "GET_TOPIC_NAME_LIST") \
  X(kUpdateBrokerConfig, 25, "UPDATE_BROKER_CONFIG") \
  X(kGetBrokerConfig, 26, "GET_BROKER_CONFIG") \
  X(kTriggerDeleteFiles, 27, "TRIGGER_DELETE_FILES") \
  X(kGetBrokerRuntimeInfo, 28, "GET_BROKER_RUNTIME_INFO") \
  X(kSearchOffsetByTimestamp, 29, "SEARCH_OFFSET_BY_TIMESTAMP") \
  X(kGetMaxOffset, 30, "GET_MAX_OFFSET") \
  X(kGetMinOffset, 31, "GET_MIN_OFFSET") \
  X(kGetEarliestMsgStoretime, 32, "GET_EARLIEST_MSG_STORETIME") \
  X(kViewMessageById, 33, "VIEW_MESSAGE_BY_ID") \
  X(kHeartBeat, 34, "HEART_BEAT") \
  X(kUnregisterClient, 35, "UNREGISTER_CLIENT") \
  X(kConsumerSendMsgBack, 36, "CONSUMER_SEND_MSG_BACK") \
  X(kEndTransaction, 37, "END_TRANSACTION") \
  X(kGetConsumerListByGroup, 38, "GET_CONSUMER_LIST_BY_GROUP") \
  X(kCheckTransactionState, 39, "CHECK_TRANSACTION_STATE") \
  X(kNotifyConsumerIdsChanged, 40, "NOTIFY_CONSUMER_IDS_CHANGED") \
  X(kLockBatchMq, 41, "LOCK_BATCH_MQ") \
  X(kUnlockBatchMq, 42, "UNLOCK_BATCH_MQ") \
  X(kGetAllConsumerOffset, 43, "GET_ALL_CONSUMER_OFFSET") \
  X(kGetAllDelayOffset, 45, "GET_ALL_DELAY_OFFSET") \
  X(kCheckClientConfig, 46, "CHECK_CLIENT_CONFIG") \
  X(kGetClientConfig, 47, "GET_CLIENT_CONFIG") \
  X(kUpdateAndCreateAclConfig, 50, "UPDATE_AND_CREATE_ACL_CONFIG") \
  X(kDeleteAclConfig, 51, "DELETE_ACL_CONFIG") \
  X(kGetBrokerClusterAclInfo, 52, "GET_BROKER_CLUSTER_ACL_INFO") \
  X(kUpdateGlobalWhiteAddrsConfig, 53, "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG") \
  X(kGetTimerCheckPoint, 60, "GET_TIMER_CHECK_POINT") \
  X(kGetTimerMetrics, 61, "GET_TIMER_METRICS") \
  X(kPutKvConfig, 100, "PUT_KV_CONFIG") \
  X(kGetKvConfig, 101, "GET_KV_CONFIG") \
  X(kDeleteKvConfig, 102, "DELETE_KV_CONFIG") \
  X(kRegisterBroker, 103, "REGISTER_BROKER") \
  X(kUnregisterBroker, 104, "UNREGISTER_BROKER") \
  X(kGetRouteinfoByTopic, 105, "GET_ROUTEINFO_BY_TOPIC") \
  X(kGetBrokerClusterInfo, 106, "GET_BROKER_CLUSTER_INFO") \
  X(kUpdateAndCreateSubscriptiongroup, 200, "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP") \
  X(kGetAllSubscriptiongroupConfig, 201, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG") \
  X(kGetTopicStatsInfo, 202, "GET_TOPIC_STATS_INFO") \
  X(kGetConsumerConnectionList, 203, "GET_CONSUMER_CONNECTION_LIST") \
  X(kGetProducerConnectionList, 204, "GET_PRODUCER_CONNECTION_LIST") \
  X(kWipeWritePermOfBroker, 205, "WIPE_WRITE_PERM_OF_BROKER") \
  X(kGetAllTopicListFromNameserver, 206, "GET_ALL_TOPIC_LIST_FROM_NAMESERVER") \
  X(kDeleteSubscriptiongroup, 207, "DELETE_SUBSCRIPTIONGROUP") \
  X(kGetConsumeStats, 208, "GET_CONSUME_STATS") \
  X(kSuspendConsumer, 209, "SUSPEND_CONSUMER") \
  X(kResumeConsumer, 210, "RESUME_CONSUMER") \
  X(kResetConsumerOffsetInConsumer, 211, "RESET_CONSUMER_OFFSET_IN_CONSUMER") \
  X(kResetConsumerOffsetInBroker, 212, "RESET_CONSUMER_OFFSET_IN_BROKER") \
  X(kAdjustConsumerThreadPool, 213, "ADJUST_CONSUMER_THREAD_POOL") \
  X(kWhoConsumeTheMessage, 214, "WHO_CONSUME_THE_MESSAGE") \
  X(kDeleteTopicInBroker, 215, "DELETE_TOPIC_IN_BROKER") \
  X(kDeleteTopicInNamesrv, 216, "DELETE_TOPIC_IN_NAMESRV") \
  X(kRegisterTopicInNamesrv, 217, "REGISTER_TOPIC_IN_NAMESRV") \
  X(kGetKvlistByNamespace, 219, "GET_KVLIST_BY_NAMESPACE") \
  X(kResetConsumerClientOffset, 220, "RESET_CONSUMER_CLIENT_OFFSET") \
  X(kGetConsumerStatusFromClient, 221, "GET_CONSUMER_STATUS_FROM_CLIENT") \
  X(kInvokeBrokerToResetOffset, 222, "INVOKE_BROKER_TO_RESET_OFFSET") \
  X(kInvokeBrokerToGetConsumerStatus, 223, "INVOKE_BROKER_TO_GET_CONSUMER_STATUS") \
  X(kGetTopicsByCluster, 224, "GET_TOPICS_BY_CLUSTER") \
  X(kUpdateAndCreateSubscriptiongroupList, 225, "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST") \
  X(kQueryTopicConsumeByWho, 300, "QUERY_TOPIC_CONSUME_BY_WHO") \
  X(kRegisterFilterServer, 301, "REGISTER_FILTER_SERVER") \
  X(kRegisterMessageFilterClass, 302, "REGISTER_MESSAGE_FILTER_CLASS") \
  X(kQueryConsumeTimeSpan, 303, "QUERY_CONSUME_TIME_SPAN") \
  X(kGetSystemTopicListFromNs, 304, "GET_SYSTEM_TOPIC_LIST_FROM_NS") \
  X(kGetSystemTopicListFromBroker, 305, "GET_SYSTEM_TOPIC_LIST_FROM_BROKER") \
  X(kCleanExpiredConsumequeue, 306, "CLEAN_EXPIRED_CONSUMEQUEUE") \
  X(kGetConsumerRunningInfo, 307, "GET_CONSUMER_RUNNING_INFO") \
  X(kQueryCorrectionOffset, 308, "QUERY_CORRECTION_OFFSET") \
  X(kConsumeMessageDirectly, 309, "CONSUME_MESSAGE_DIRECTLY") \
  X(kSendMessageV2, 310, "SEND_MESSAGE_V2") \
  X(kGetUnitTopicList, 311, "GET_UNIT_TOPIC_LIST") \
  X(kGetHasUnitSubTopicList, 312, "GET_HAS_UNIT_SUB_TOPIC_LIST") \
  X(kGetHasUnitSubUnunitTopicList, 313, "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST") \
  X(kCloneGroupOffset, 314, "CLONE_GROUP_OFFSET") \
  X(kViewBrokerStatsData, 315, "VIEW_BROKER_STATS_DATA") \
  X(kCleanUnusedTopic, 316, "CLEAN_UNUSED_TOPIC") \
  X(kGetBrokerConsumeStats, 317, "GET_BROKER_CONSUME_STATS") \
  X(kUpdateNamesrvConfig, 318, "UPDATE_NAMESRV_CONFIG") \
  X(kGetNamesrvConfig, 319, "GET_NAMESRV_CONFIG") \
  X(kSendBatchMessage, 320, "SEND_BATCH_MESSAGE") \
  X(kQueryConsumeQueue, 321, "QUERY_CONSUME_QUEUE") \
  X(kQueryDataVersion, 322, "QUERY_DATA_VERSION") \
  X(kResumeCheckHalfMessage, 323, "RESUME_CHECK_HALF_MESSAGE") \
  X(kSendReplyMessage, 324, "SEND_REPLY_MESSAGE") \
  X(kSendReplyMessageV2, 325, "SEND_REPLY_MESSAGE_V2") \
  X(kPushReplyMessageToClient, 326, "PUSH_REPLY_MESSAGE_TO_CLIENT") \
  X(kAddWritePermOfBroker, 327, "ADD_WRITE_PERM_OF_BROKER") \
  X(kGetAllProducerInfo, 328, "GET_ALL_PRODUCER_INFO") \
  X(kDeleteExpiredCommitlog, 329, "DELETE_EXPIRED_COMMITLOG") \
  X(kQueryTopicsByConsumer, 343, "QUERY_TOPICS_BY_CONSUMER") \
  X(kQuerySubscriptionByConsumer, 345, "QUERY_SUBSCRIPTION_BY_CONSUMER") \
  X(kGetTopicConfig, 351, "GET_TOPIC_CONFIG") \
  X(kGetSubscriptiongroupConfig, 352, "GET_SUBSCRIPTIONGROUP_CONFIG") \
  X(kUpdateAndGetGroupForbidden, 353, "UPDATE_AND_GET_GROUP_FORBIDDEN") \
  X(kCheckRocksdbCqWriteProgress, 354, "CHECK_ROCKSDB_CQ_WRITE_PROGRESS") \
  X(kExportRocksdbConfigToJson, 355, "EXPORT_ROCKSDB_CONFIG_TO_JSON") \
  X(kLitePullMessage, 361, "LITE_PULL_MESSAGE") \
  X(kRecallMessage, 370, "RECALL_MESSAGE") \
  X(kQueryAssignment, 400, "QUERY_ASSIGNMENT") \
  X(kSetMessageRequestMode, 401, "SET_MESSAGE_REQUEST_MODE") \
  X(kGetAllMessageRequestMode, 402, "GET_ALL_MESSAGE_REQUEST_MODE") \
  X(kUpdateAndCreateStaticTopic, 513, "UPDATE_AND_CREATE_STATIC_TOPIC") \
  X(kGetBrokerMemberGroup, 901, "GET_BROKER_MEMBER_GROUP") \
  X(kAddBroker, 902, "ADD_BROKER") \
  X(kRemoveBroker, 903, "REMOVE_BROKER") \
  X(kBrokerHeartbeat, 904, "BROKER_HEARTBEAT") \
  X(kNotifyMinBrokerIdChange, 905, "NOTIFY_MIN_BROKER_ID_CHANGE") \
  X(kExchangeBrokerHaInfo, 906, "EXCHANGE_BROKER_HA_INFO") \
  X(kGetBrokerHaStatus, 907, "GET_BROKER_HA_STATUS") \
  X(kResetMasterFlushOffset, 908, "RESET_MASTER_FLUSH_OFFSET") \
  X(kPopMessage, 200050, "POP_MESSAGE") \
  X(kAckMessage, 200051, "ACK_MESSAGE") \
  X(kPeekMessage, 200052, "PEEK_MESSAGE") \
  X(kChangeMessageInvisibletime, 200053, "CHANGE_MESSAGE_INVISIBLETIME") \
  X(kNotification, 200054, "NOTIFICATION") \
  X(kPollingInfo, 200055, "POLLING_INFO") \
  X(kPopRollback, 200056, "POP_ROLLBACK") \
  X(kBatchAckMessage, 200151, "BATCH_ACK_MESSAGE")

#define RMQ_RESPONSE_CODES(X) \
  X(kRpcTimeOut, -1006, "RPC_TIME_OUT") \
  X(kRpcSendToChannelFailed, -1004, "RPC_SEND_TO_CHANNEL_FAILED") \
  X(kRpcAddrIsNull, -1002, "RPC_ADDR_IS_NULL") \
  X(kRpcUnknown, -1000, "RPC_UNKNOWN") \
  X(kSuccess, 0, "SUCCESS") \
  X(kSystemError, 1, "SYSTEM_ERROR") \
  X(kSystemBusy, 2, "SYSTEM_BUSY") \
  X(kRequestCodeNotSupported, 3, "REQUEST_CODE_NOT_SUPPORTED") \
  X(kTransactionFailed, 4, "TRANSACTION_FAILED") \
  X(kFlushDiskTimeout, 10, "FLUSH_DISK_TIMEOUT") \
  X(kSlaveNotAvailable, 11, "SLAVE_NOT_AVAILABLE") \
  X(kFlushSlaveTimeout, 12, "FLUSH_SLAVE_TIMEOUT") \
  X(kMessageIllegal, 13, "MESSAGE_ILLEGAL") \
  X(kServiceNotAvailable, 14, "SERVICE_NOT_AVAILABLE") \
  X(kVersionNotSupported, 15, "VERSION_NOT_SUPPORTED") \
  X(kNoPermission, 16, "NO_PERMISSION") \
  X(kTopicNotExist, 17, "TOPIC_NOT_EXIST") \
  X(kTopicExistAlready, 18, "TOPIC_EXIST_ALREADY") \
  X(kPullNotFound, 19, "PULL_NOT_FOUND") \
  X(kPullRetryImmediately, 20, "PULL_RETRY_IMMEDIATELY") \
  X(kPullOffsetMoved, 21, "PULL_OFFSET_MOVED") \
  X(kQueryNotFound, 22, "QUERY_NOT_FOUND") \
  X(kSubscriptionParseFailed, 23, "SUBSCRIPTION_PARSE_FAILED") \
  X(kSubscriptionNotExist, 24, "SUBSCRIPTION_NOT_EXIST") \
  X(kSubscriptionNotLatest, 25, "SUBSCRIPTION_NOT_LATEST") \
  X(kSubscriptionGroupNotExist, 26, "SUBSCRIPTION_GROUP_NOT_EXIST") \
  X(kFilterDataNotExist, 27, "FILTER_DATA_NOT_EXIST") \
  X(kFilterDataNotLatest, 28, "FILTER_DATA_NOT_LATEST") \
  X(kInvalidParameter, 29, "INVALID_PARAMETER") \
  X(kTransactionShouldCommit, 200, "TRANSACTION_SHOULD_COMMIT") \
  X(kTransactionShouldRollback, 201, "TRANSACTION_SHOULD_ROLLBACK") \
  X(kTransactionStateUnknow, 202, "TRANSACTION_STATE_UNKNOW") \
  X(kTransactionStateGroupWrong, 203, "TRANSACTION_STATE_GROUP_WRONG") \
  X(kNoBuyerId, 204, "NO_BUYER_ID") \
  X(kNotInCurrentUnit, 205, "NOT_IN_CURRENT_UNIT") \
  X(kConsumerNotOnline, 206, "CONSUMER_NOT_ONLINE") \
  X(kConsumeMsgTimeout, 207, "CONSUME_MSG_TIMEOUT") \
  X(kNoMessage, 208, "NO_MESSAGE") \
  X(kPollingFull, 209, "POLLING_FULL") \
  X(kUpdateAndCreateAclConfigFailed, 209, "UPDATE_AND_CREATE_ACL_CONFIG_FAILED") \
  X(kPollingTimeout, 210, "POLLING_TIMEOUT") \
  X(kDeleteAclConfigFailed, 210, "DELETE_ACL_CONFIG_FAILED") \
  X(kBrokerNotExist, 211, "BROKER_NOT_EXIST") \
  X(kUpdateGlobalWhiteAddrsConfigFailed, 211, "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED") \
  X(kBrokerDispatchNotComplete, 212, "BROKER_DISPATCH_NOT_COMPLETE") \
  X(kBroadcastConsumption, 213, "BROADCAST_CONSUMPTION") \
  X(kFlowControl, 215, "FLOW_CONTROL") \
  X(kNotLeaderForQueue, 501, "NOT_LEADER_FOR_QUEUE") \
  X(kIllegalOperation, 604, "ILLEGAL_OPERATION") \
  X(kGoAway, 1500, "GO_AWAY")

#define RMQ_CODE_CONSTANT(id, value, name) inline constexpr int32_t id = value;
#define RMQ_CODE_ENTRY(id, value, name) CodeName{value, name},

struct CodeName {
  int32_t code;
  std::string_view name;
};

namespace request_code {
RMQ_REQUEST_CODES(RMQ_CODE_CONSTANT)
inline constexpr CodeName kAll[] = {RMQ_REQUEST_CODES(RMQ_CODE_ENTRY)};
}  // namespace request_code

namespace response_code {
RMQ_RESPONSE_CODES(RMQ_CODE_CONSTANT)
inline constexpr CodeName kAll[] = {RMQ_RESPONSE_CODES(RMQ_CODE_ENTRY)};
}  // namespace response_code

#undef RMQ_CODE_CONSTANT
#undef RMQ_CODE_ENTRY

namespace detail {
constexpr std::string_view code_name(const CodeName* first, const CodeName* last, int32_t code) {
  for (; first != last; ++first) {
    if (first->code == code) return first->name;
  }
  return "UNKNOWN";
}
}  // namespace detail

// The Java name of a code ("SEND_MESSAGE"), "UNKNOWN" if not listed. Where a
// value has a 4.x and a 5.x name, the first listed one.
constexpr std::string_view request_code_name(int32_t code) {
  return detail::code_name(std::begin(request_code::kAll), std::end(request_code::kAll), code);
}
constexpr std::string_view response_code_name(int32_t code) {
  return detail::code_name(std::begin(response_code::kAll), std::end(response_code::kAll), code);
}

}  // namespace rmq::remoting
