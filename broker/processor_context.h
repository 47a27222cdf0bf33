// What the broker's request processors work with: the managers they hand
// work to (topics, subscription groups, offsets, clients), the store and the
// config. A processor here is a free function over this context and the
// request: it reads the request, asks the managers, and answers, without
// reaching into Broker's own state (its tasks, its namesrv connections, its
// registration, replication or held pulls).
//
// Built by Broker::start() once the store is open; outlives every request
// (the server stops before the context goes).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "broker/broker_config.h"
#include "broker/client_registry.h"
#include "broker/consumer_offsets.h"
#include "broker/metrics.h"
#include "broker/queue_locks.h"
#include "broker/subscription_groups.h"
#include "broker/topic_manager.h"
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
  BrokerMetrics& metrics;
  // What only the Broker itself can do, handed to it:
  // a put through the delay levels (a DELAY property parks the message in
  // SCHEDULE_TOPIC_XXXX). Suspends.
  std::function<store::PutResult(common::StoredMessage m, const common::MessageProperties* props)> put_message;
  // a topic a client needs routes for was just created (a retry or DLQ
  // topic): register with every namesrv before answering. Suspends.
  std::function<void(const std::string& topic)> topic_created;
  // A consumer group's members or subscriptions changed: tell its members
  // (NOTIFY_CONSUMER_IDS_CHANGED, in tasks the Broker owns).
  std::function<void(const std::string& group)> group_changed;
};

using Reply = std::optional<remoting::RemotingCommand>;
using Processor = Reply (*)(ProcessorContext&, remoting::Connection&, remoting::RemotingCommand&);

// RocketMQ's answer to a topic or group change on a slave; nullopt on a master.
std::optional<remoting::RemotingCommand> refuse_admin_write_on_slave(const BrokerConfig& cfg,
                                                                     const remoting::RemotingCommand& req);

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

}  // namespace rmq::broker
