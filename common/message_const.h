// RocketMQ's message constants (reference 6.1, 6.4): property keys, system
// topics and special groups, defined once for every layer that reads or
// writes them.
#pragma once

namespace rmq::common {

// ---- property keys (MessageConst) ------------------------------------------------
inline constexpr const char* kPropKeys = "KEYS";
inline constexpr const char* kPropTags = "TAGS";
inline constexpr const char* kPropWait = "WAIT";                 // "false": no sync flush/replication wait
inline constexpr const char* kPropDelay = "DELAY";               // delay level, 1-based
inline constexpr const char* kPropRetryTopic = "RETRY_TOPIC";    // original topic of a retried message
inline constexpr const char* kPropRealTopic = "REAL_TOPIC";      // parked (delay, half): where it belongs
inline constexpr const char* kPropRealQueueId = "REAL_QID";
inline constexpr const char* kPropTransactionPrepared = "TRAN_MSG";  // "true" on half messages
inline constexpr const char* kPropProducerGroup = "PGROUP";
inline constexpr const char* kPropOriginMessageId = "ORIGIN_MESSAGE_ID";
inline constexpr const char* kPropReconsumeTime = "RECONSUME_TIME";
inline constexpr const char* kPropMaxReconsumeTimes = "MAX_RECONSUME_TIMES";
inline constexpr const char* kPropUniqKey = "UNIQ_KEY";          // client message id
inline constexpr const char* kPropCluster = "CLUSTER";
inline constexpr const char* kPropTransactionCheckTimes = "TRANSACTION_CHECK_TIMES";
inline constexpr const char* kPropCheckImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS";
inline constexpr const char* kPropTransactionId = "__transactionId__";
inline constexpr const char* kPropShardingKey = "__SHARDINGKEY";
// Timed delivery (RocketMQ 5's timer and the ONS start time): a message
// carrying one is a delay message to the metrics.
inline constexpr const char* kPropStartDeliverTime = "__STARTDELIVERTIME";
inline constexpr const char* kPropTimerDeliverMs = "TIMER_DELIVER_MS";
inline constexpr const char* kPropTimerDelaySec = "TIMER_DELAY_SEC";
inline constexpr const char* kPropTimerDelayMs = "TIMER_DELAY_MS";

// ---- system topics (TopicValidator) ----------------------------------------------
inline constexpr const char* kAutoCreateTopic = "TBW102";  // brokers with autoCreateTopicEnable route it
inline constexpr const char* kScheduleTopic = "SCHEDULE_TOPIC_XXXX";  // queue level-1 per delay level
inline constexpr const char* kTransHalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC";
inline constexpr const char* kTransOpHalfTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
inline constexpr const char* kTransCheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC";
inline constexpr const char* kSelfTestTopic = "SELF_TEST_TOPIC";
inline constexpr const char* kOffsetMovedEventTopic = "OFFSET_MOVED_EVENT";

// ---- special groups (MixAll) -----------------------------------------------------
inline constexpr const char* kTransactionCheckGroup = "CID_RMQ_SYS_TRANS";  // offsets of the half/op topics
inline constexpr const char* kScheduleConsumerGroup = "SCHEDULE_CONSUMER";

// The op record's tag: the half message at the offset in its body is done
// (committed or rolled back).
inline constexpr const char* kTransOpRemoveTag = "d";

}  // namespace rmq::common
