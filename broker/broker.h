// The Broker: a RocketMQ master or slave serving producers, consumers and admin tools
// over the remoting protocol, on top of the message store.
//
// Processors, one family per file:
//   send.cc    SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320)
//   pull.cc    PULL_MESSAGE (11) with long polling
//   client.cc  HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38),
//              LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42), CONSUMER_SEND_MSG_BACK (36)
//   offset.cc  QUERY/UPDATE_CONSUMER_OFFSET (14/15), SEARCH_OFFSET_BY_TIMESTAMP (29),
//              GET_MAX/MIN_OFFSET (30/31), GET_EARLIEST_MSG_STORETIME (32)
//   admin.cc   topics, groups, runtime info, stats, VIEW_MESSAGE_BY_ID (33), QUERY_MESSAGE (12)
//   config_admin.cc  GET_BROKER_CONFIG (26), UPDATE_BROKER_CONFIG (25)
//   end_transaction.cc  END_TRANSACTION (37)
//   replication.cc  master/slave: the HA service, SYNC_MASTER waits, a slave's
//              metadata sync from its master
// and the services they use: schedule.h (delay levels), transaction.h (half
// messages and check-back). Every refused request is logged once per client
// and code (refusal_log.h).
//
// Tasks (named, owned, cancelled and joined by stop()):
//   broker-register  REGISTER_BROKER to every namesrv every 30 s and at once
//                    after a topic change;
//   broker-clients   every 10 s, drops clients silent for 120 s;
//   broker-offsets   writes consumer offsets every 5 s;
// plus the delay levels' and the transaction checker's (schedule.h,
// transaction.h), the store's and the RPC server's own.
//
// Long polling: a pull that finds nothing and may suspend waits on an event
// of its queue, registered before the store is read (so an arrival during
// the read is never missed, RocketMQ #7358); the store's dispatcher sets it
// when the queue grows; the waiter re-checks every 5 s and answers when the
// request's suspend time is over.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "broker/client_registry.h"
#include "broker/consumer_offsets.h"
#include "broker/long_polls.h"
#include "broker/metrics.h"
#include "broker/processor_context.h"
#include "broker/queue_locks.h"
#include "broker/refusal_log.h"
#include "broker/schedule.h"
#include "broker/stats.h"
#include "broker/subscription_groups.h"
#include "broker/topic_manager.h"
#include "broker/transaction.h"
#include "remoting/headers_namesrv.h"
#include "remoting/http_server.h"
#include "remoting/rpc.h"
#include "runtime/task_set.h"
#include "store/ha/ha_service.h"
#include "store/message_store.h"

namespace rmq::broker {

class Broker {
 public:
  Broker(rt::Runtime& rt, BrokerConfig cfg);
  ~Broker();  // stop()
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Recovers the store, loads the config files, listens, registers with the
  // namesrvs and starts the tasks. Suspends.
  rt::Result<void> start();
  // Graceful shutdown: stops accepting and serving, unregisters from the
  // namesrvs, persists offsets and configs, closes the store (flush,
  // checkpoint). Idempotent. Suspends.
  rt::Result<void> stop();

  const std::string& address() const;  // the bound listen address
  const BrokerConfig& config() const { return cfg_; }
  store::MessageStore& store() { return *store_; }
  const TopicManager& topics() const { return topics_; }
  const ClientRegistry& clients() const { return clients_; }
  const ConsumerOffsets& offsets() const { return offsets_; }
  // Set while started.
  ScheduleService* schedule() { return schedule_.get(); }
  TransactionService* transactions() { return transactions_.get(); }  // masters only
  // Replication: the master's HA service, or the slave's (one is set).
  store::HaMaster* ha_master() { return ha_master_.get(); }
  store::HaSlave* ha_slave() { return ha_slave_.get(); }
  // What registration costs: how many full registrations and keep-alives
  // were sent, and the bytes of the last of each (whole frames).
  struct RegisterStats {
    int64_t full = 0;
    int64_t keepalives = 0;
    int64_t last_full_bytes = 0;
    int64_t last_keepalive_bytes = 0;
  };
  const RegisterStats& register_stats() const { return register_stats_; }
  // A slave's master broker (remoting address, from the namesrv); "" unknown.
  const std::string& master_address() const { return master_addr_; }
  // The node's metrics (metrics.h); served at /metrics when configured.
  common::metrics::Registry& metrics() { return metrics_.registry(); }
  // The bound /metrics address, "" when not served.
  std::string metrics_address() const { return http_ ? http_->address() : std::string(); }

 private:
  using Command = remoting::RemotingCommand;
  void install_processors();

  // pull.cc: the store's dispatcher saw the queue grow.
  void on_arrival(const std::string& topic, int32_t queue_id);
  // client.cc
  void notify_consumer_ids_changed(const std::string& group);

  // replication.cc
  rt::Result<void> start_replication();
  void stop_replication();
  // SYNC_MASTER: turns a stored put into FLUSH_SLAVE_TIMEOUT or
  // SLAVE_NOT_AVAILABLE unless a slave acknowledges it in time. Suspends.
  void await_slave(store::PutResult& r, bool wait_store_ok);
  // GET_BROKER_RUNTIME_INFO's replication entries (ProcessorContext).
  std::vector<std::pair<std::string, std::string>> replication_status() const;
  // A slave's REGISTER_BROKER answer names its master (reference 3.1).
  void learn_master(const std::optional<std::string>& ha_server_addr, const std::optional<std::string>& master_addr);
  void slave_sync_loop();
  void slave_sync_once();
  // A slave without a master (the namesrvs name none: it is gone): a topic
  // its store holds queues of but its config lacks (replicated before the
  // master's config reached it) gets a config from the store, so that
  // consumers read it here. The next sync from a master replaces it; a
  // topic the master deleted was deleted here too at its sync.
  void adopt_stored_topics();

  // metrics.cc: the gauges a scrape reads. Never suspends.
  void collect_metrics(common::metrics::Scrape& s);

  // register.cc
  void register_loop();
  // REGISTER_BROKER to every namesrv; unless `force`, a QUERY_DATA_VERSION
  // keep-alive to those that hold the current topic version. Suspends.
  void register_all(bool force);
  bool keep_alive(const std::string& namesrv, const remoting::DataVersion& version);
  // brokerName, brokerAddr, clusterName, brokerId: what UNREGISTER_BROKER and
  // QUERY_DATA_VERSION carry.
  remoting::UnregisterBrokerRequestHeader identity_header() const;
  // A topic a client needs routes for was just created (a retry or DLQ
  // topic): registers with every namesrv before the request is answered, as
  // RocketMQ does, so the client's next route lookup finds it. Suspends.
  void register_created_topic(const std::string& topic);
  void unregister_all();
  void client_scan_loop();
  void offset_flush_loop();

  rt::Runtime& rt_;
  BrokerConfig cfg_;
  BrokerMetrics metrics_;
  std::unique_ptr<store::MessageStore> store_;
  TopicManager topics_;
  SubscriptionGroups groups_;
  ConsumerOffsets offsets_;
  ClientRegistry clients_;
  RefusalLog refusals_;
  remoting::Dispatcher dispatcher_;
  std::unique_ptr<remoting::RpcServer> server_;
  std::unique_ptr<remoting::HttpServer> http_;  // /metrics
  std::unique_ptr<remoting::RpcClient> namesrv_client_;
  rt::Event register_now_;
  rt::Event sync_now_;  // a slave learned its master: sync its metadata at once
  bool master_learned_ = false;  // a slave has known a master since it started

  LongPolls long_polls_;  // held pulls (long_polls.h)

  // Orderly consumption's queue locks, by "topic@brokerName@queueId".
  QueueLocks locks_;

  // What the free-function processors work with (processor_context.h); set
  // by start() once the store is open.
  std::unique_ptr<ProcessorContext> ctx_;

  // After the store and the managers they use (destroyed before them).
  std::unique_ptr<ScheduleService> schedule_;
  std::unique_ptr<TransactionService> transactions_;
  std::unique_ptr<store::HaMaster> ha_master_;
  std::unique_ptr<store::HaSlave> ha_slave_;
  std::string master_addr_;
  bool sync_failing_ = false;  // the slave's last metadata sync failed (logged once)
  std::map<std::string, remoting::DataVersion> registered_version_;  // namesrv -> last version it took
  // The registration body of one topics data version, encoded (and
  // compressed when large) once: keep-alives and repeated registrations of
  // an unchanged table reuse it.
  struct EncodedRegistration {
    remoting::DataVersion version;
    std::vector<std::byte> bytes;
    bool compressed = false;
    int32_t crc = 0;
  };
  std::optional<EncodedRegistration> registration_;
  RegisterStats register_stats_;

  std::vector<rt::Task> tasks_;
  // NOTIFY_CONSUMER_IDS_CHANGED notices, one task per client so a slow one
  // holds up no processor; joined at stop(). Past the bound a notice is
  // dropped (members rebalance on their own every 20 s anyway).
  static constexpr size_t kNoticesInFlightMax = 4096;
  rt::TaskSet notices_;
  bool started_ = false;
  bool stopped_ = false;
  BrokerTraffic traffic_;  // GET_BROKER_RUNTIME_INFO's and VIEW_BROKER_STATS_DATA's figures
};

}  // namespace rmq::broker
