// What the broker's request processors work with: the managers they hand
// work to (topics, subscription groups, offsets, clients, held pulls, delay
// levels, transactions), the store, the config and the traffic figures. A
// processor is a free function over this context and the request: it reads
// the request, asks the managers, and answers, without reaching into
// Broker's own state (its tasks, its namesrv connections, its registration
// or replication), which it reaches only through the hooks below.
//
// Built by Broker::start() once the store is open; outlives every request
// (the server stops before the context goes).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker_config.h"
#include "broker/client_registry.h"
#include "broker/consumer_offsets.h"
#include "broker/long_polls.h"
#include "broker/metrics.h"
#include "broker/queue_locks.h"
#include "broker/schedule.h"
#include "broker/stats.h"
#include "broker/subscription_groups.h"
#include "broker/topic_manager.h"
#include "broker/transaction.h"
#include "common/topic_config.h"
#include "remoting/command.h"
#include "remoting/rpc.h"
#include "runtime/runtime.h"
#include "store/message_store.h"

namespace rmq::broker {

struct ProcessorContext {
  rt::Runtime& rt;
  const BrokerConfig& cfg;
  store::MessageStore& store;
  TopicManager& topics;
  SubscriptionGroups& groups;
  ConsumerOffsets& offsets;
  ClientRegistry& clients;
  QueueLocks& locks;
  LongPolls& long_polls;
  ScheduleService& schedule;
  TransactionService* transactions;  // null on a slave
  BrokerMetrics& metrics;
  BrokerTraffic& traffic;
  // GET_BROKER_CONFIG's version, bumped by each update.
  common::DataVersion config_version;
  // Set when the broker stops: a held pull answers rather than waits again.
  bool stopping;
  // What only the Broker itself can do, handed to it:
  // a topic a client needs routes for was just created (a retry or DLQ
  // topic): register with every namesrv before answering. Suspends.
  std::function<void(const std::string& topic)> topic_created;
  // A consumer group's members or subscriptions changed: tell its members
  // (NOTIFY_CONSUMER_IDS_CHANGED, in tasks the Broker owns).
  std::function<void(const std::string& group)> group_changed;
  // SYNC_MASTER: turns a stored put into FLUSH_SLAVE_TIMEOUT or
  // SLAVE_NOT_AVAILABLE unless a slave acknowledges it in time (a no-op on
  // other roles, or when the producer does not wait). Suspends.
  std::function<void(store::PutResult& r, bool wait_store_ok)> await_slave;
  // The settings that can change while the broker runs take `next`'s values
  // (apply_live_settings); the others stay.
  std::function<void(const BrokerConfig& next)> change_config;
  // GET_BROKER_RUNTIME_INFO's replication entries, in order: the role, the
  // HA peer(s), how far they are.
  std::function<std::vector<std::pair<std::string, std::string>>()> replication_status;
};

using Reply = std::optional<remoting::RemotingCommand>;
using Processor = Reply (*)(ProcessorContext&, remoting::Connection&, remoting::RemotingCommand&);

// The pull response code for a store status (reference 8.7).
int32_t pull_code_for(store::GetStatus s, int64_t requested_offset);
// The send response code for a put status (reference 8.3).
int32_t send_code_for(store::PutStatus s);

// RocketMQ's answer to a topic or group change on a slave; nullopt on a master.
std::optional<remoting::RemotingCommand> refuse_admin_write_on_slave(const BrokerConfig& cfg,
                                                                     const remoting::RemotingCommand& req);

// Stores `m`, parked for its delay level first when it has one (reference
// 8.5). `props`: m's decoded properties when the caller has them. Suspends.
store::PutResult put_message(ProcessorContext& c, common::StoredMessage m,
                             const common::MessageProperties* props = nullptr);

// send.cc: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320).
Reply send(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
// pull.cc: PULL_MESSAGE (11), held while nothing is there (long_polls.h).
Reply pull(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
// end_transaction.cc: END_TRANSACTION (37).
Reply end_transaction(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
// config_admin.cc: GET_BROKER_CONFIG (26), UPDATE_BROKER_CONFIG (25).
Reply get_broker_config(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply update_broker_config(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);

// offset.cc: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15),
// SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
// GET_EARLIEST_MSG_STORETIME (32), INVOKE_BROKER_TO_RESET_OFFSET (222).
Reply query_offset(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply update_offset(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply queue_offset(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);  // 29, 30, 31, 32
Reply reset_offset(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);

// client.cc: HEART_BEAT (34), UNREGISTER_CLIENT (35),
// GET_CONSUMER_LIST_BY_GROUP (38), CONSUMER_SEND_MSG_BACK (36),
// LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42).
Reply heartbeat(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply unregister_client(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply consumer_list(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply send_back(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply lock_queues(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply unlock_queues(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);

// admin.cc: topics, groups, statistics of queues and groups, messages.
Reply update_topic(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply delete_topic(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply topic_stats(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply consume_stats(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply consumer_connections(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply producer_connections(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply consumed_by_who(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);  // QUERY_TOPIC_CONSUME_BY_WHO (300)
Reply update_group(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply delete_group(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply view_message(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply query_message(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
// GET_ALL_TOPIC_CONFIG (21), GET_BROKER_RUNTIME_INFO (28), GET_ALL_CONSUMER_OFFSET
// (43), GET_ALL_DELAY_OFFSET (45), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
Reply admin_query(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);
Reply view_stats(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req);  // VIEW_BROKER_STATS_DATA (315)

}  // namespace rmq::broker
