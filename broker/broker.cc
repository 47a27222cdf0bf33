#include "broker/broker.h"

#include <fmt/format.h>

#include "common/message_const.h"
#include "remoting/codes.h"

namespace rmq::broker {

namespace rc = remoting::request_code;

Broker::Broker(rt::Runtime& rt, BrokerConfig cfg)
    : rt_(rt),
      cfg_(std::move(cfg)),
      metrics_(cfg_),
      topics_(rt, cfg_),
      groups_(rt, cfg_),
      offsets_(rt, cfg_),
      refusals_(rt),
      register_now_(rt),
      sync_now_(rt),
      long_polls_(rt),
      locks_(cfg_.lock_lease),
      notices_(rt, kNoticesInFlightMax) {
  install_processors();
  metrics_.registry().add_collector([this](common::metrics::Scrape& s) { collect_metrics(s); });
}

Broker::~Broker() {
  if (auto r = stop(); !r) rt_.log(rt::LogLevel::error, "broker shutdown: " + r.error().message());
}

const std::string& Broker::address() const {
  static const std::string none;
  return server_ ? server_->address() : none;
}

void Broker::install_processors() {
  auto on = [this](int32_t code, Processor fn) {
    dispatcher_.on(code, metrics_.requests().timed(rt_, [this, fn](remoting::Connection& from, Command& req) {
      RMQ_ASSERT(ctx_);  // requests arrive only once start() has listened
      Reply reply = fn(*ctx_, from, req);
      if (reply) refusals_.note(from.peer_address(), req, *reply);
      return reply;
    }));
  };
  on(rc::kSendMessage, &send);
  on(rc::kSendMessageV2, &send);
  on(rc::kSendBatchMessage, &send);
  on(rc::kPullMessage, &pull);
  on(rc::kHeartBeat, &heartbeat);
  on(rc::kUnregisterClient, &unregister_client);
  on(rc::kGetConsumerListByGroup, &consumer_list);
  on(rc::kConsumerSendMsgBack, &send_back);
  on(rc::kEndTransaction, &end_transaction);
  on(rc::kLockBatchMq, &lock_queues);
  on(rc::kUnlockBatchMq, &unlock_queues);
  on(rc::kQueryConsumerOffset, &query_offset);
  on(rc::kUpdateConsumerOffset, &update_offset);
  on(rc::kSearchOffsetByTimestamp, &queue_offset);
  on(rc::kGetMaxOffset, &queue_offset);
  on(rc::kGetMinOffset, &queue_offset);
  on(rc::kGetEarliestMsgStoretime, &queue_offset);
  on(rc::kInvokeBrokerToResetOffset, &reset_offset);
  on(rc::kUpdateAndCreateTopic, &update_topic);
  on(rc::kDeleteTopicInBroker, &delete_topic);
  on(rc::kGetAllTopicConfig, &admin_query);
  on(rc::kGetBrokerRuntimeInfo, &admin_query);
  on(rc::kGetAllConsumerOffset, &admin_query);
  on(rc::kGetAllDelayOffset, &admin_query);
  on(rc::kGetAllSubscriptiongroupConfig, &admin_query);
  on(rc::kGetTopicStatsInfo, &topic_stats);
  on(rc::kGetConsumeStats, &consume_stats);
  on(rc::kGetConsumerConnectionList, &consumer_connections);
  on(rc::kGetProducerConnectionList, &producer_connections);
  on(rc::kViewBrokerStatsData, &view_stats);
  on(rc::kQueryTopicConsumeByWho, &consumed_by_who);
  on(rc::kGetBrokerConfig, &get_broker_config);
  on(rc::kUpdateBrokerConfig, &update_broker_config);
  on(rc::kUpdateAndCreateSubscriptiongroup, &update_group);
  on(rc::kDeleteSubscriptiongroup, &delete_group);
  on(rc::kViewMessageById, &view_message);
  on(rc::kQueryMessage, &query_message);
}

rt::Result<void> Broker::start() {
  RMQ_ASSERT(!started_);
  started_ = true;
  auto st = store::MessageStore::open(rt_, cfg_.store);
  // A full disk: recovery cannot write its queue and index files. Wait for
  // room (someone frees some) rather than exit; SIGTERM still stops it.
  for (bool logged = false; !st && st.error().code() == rt::Errc::no_space;) {
    if (!logged)
      rt_.log(rt::LogLevel::error, "store cannot start: " + st.error().message() + "; trying again every 5 s");
    logged = true;
    rt_.sleep_for(std::chrono::seconds(5));
    st = store::MessageStore::open(rt_, cfg_.store);
  }
  if (!st) return st.error();
  store_ = std::move(*st);
  store_->set_arrival_listener([this](const std::string& topic, int32_t qid, int64_t) {
    if (topic == common::kScheduleTopic) {
      if (schedule_) schedule_->on_arrival(qid);
      return;
    }
    on_arrival(topic, qid);
  });
  if (auto r = topics_.load(); !r) return r;
  if (auto r = groups_.load(); !r) return r;
  if (auto r = offsets_.load(); !r) return r;
  schedule_ = std::make_unique<ScheduleService>(rt_, cfg_, *store_);
  if (auto r = schedule_->load(); !r) return r;
  if (!cfg_.slave()) {
    // A slave never writes: its delay levels and transactions are its master's.
    transactions_ = std::make_unique<TransactionService>(rt_, cfg_, *store_, topics_, offsets_, clients_);
    if (auto r = transactions_->load(); !r) return r;
  }
  ctx_.reset(new ProcessorContext{
      .rt = rt_,
      .cfg = cfg_,
      .store = *store_,
      .topics = topics_,
      .groups = groups_,
      .offsets = offsets_,
      .clients = clients_,
      .locks = locks_,
      .long_polls = long_polls_,
      .schedule = *schedule_,
      .transactions = transactions_.get(),
      .metrics = metrics_,
      .traffic = traffic_,
      .config_version = {},
      .stopping = false,
      .topic_created = [this](const std::string& t) { register_created_topic(t); },
      .group_changed = [this](const std::string& g) { notify_consumer_ids_changed(g); },
      .await_slave = [this](store::PutResult& r, bool wait_store_ok) { await_slave(r, wait_store_ok); },
      .change_config = [this](const BrokerConfig& next) { apply_live_settings(cfg_, next); },
      .replication_status = [this] { return replication_status(); }});
  topics_.on_change([this] { register_now_.set(); });

  server_ = std::make_unique<remoting::RpcServer>(rt_, dispatcher_, cfg_.connection);
  server_->on_close([this](remoting::Connection& c) {
    for (const auto& g : clients_.remove_connection(&c)) {
      rt_.log(rt::LogLevel::info, "consumer of " + g + " gone with its connection " + c.peer_address());
      notify_consumer_ids_changed(g);
    }
  });
  if (auto r = server_->start(cfg_.bind_address + ":" + std::to_string(cfg_.listen_port)); !r) return r;
  if (cfg_.metrics.prometheus) {
    http_ = std::make_unique<remoting::HttpServer>(rt_);
    http_->get("/metrics", [this] {
      return remoting::HttpResponse{.content_type = std::string(common::metrics::kContentType),
                                    .body = metrics_.registry().render()};
    });
    if (auto r = http_->start(cfg_.metrics.address(cfg_.broker_ip)); !r)
      return rt::Error(r.error().code(), "metrics exporter: " + r.error().message());
  }
  namesrv_client_ = std::make_unique<remoting::RpcClient>(rt_, nullptr);
  if (auto r = start_replication(); !r) return r;
  register_all(true);
  tasks_.push_back(rt_.spawn("broker-register", [this] { register_loop(); }));
  tasks_.push_back(rt_.spawn("broker-clients", [this] { client_scan_loop(); }));
  tasks_.push_back(rt_.spawn("broker-offsets", [this] { offset_flush_loop(); }));
  if (!cfg_.slave()) {
    schedule_->start();
    transactions_->start();
  }
  rt_.log(rt::LogLevel::info, fmt::format("broker {} of {} ({}, id {}) listening on {}, registered address {}",
                                          cfg_.broker_name, cfg_.cluster_name, to_string(cfg_.role), cfg_.broker_id,
                                          server_->address(), cfg_.address()));
  return {};
}

rt::Result<void> Broker::stop() {
  if (stopped_ || !started_) return {};
  stopped_ = true;
  if (ctx_) ctx_->stopping = true;
  rt_.log(rt::LogLevel::info, "broker stopping");
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  notices_.stop();
  if (transactions_) transactions_->stop();
  rt::Result<void> result;
  if (schedule_) {
    if (auto r = schedule_->stop(); !r) result = r;
  }
  // Held pulls answer now rather than when their clients time out.
  long_polls_.wake_all();
  if (http_) http_->stop();
  if (server_) server_->stop();
  stop_replication();
  if (namesrv_client_) {
    unregister_all();
    namesrv_client_->stop();
  }
  if (auto r = offsets_.persist(); !r && result) result = r;
  if (store_) {
    if (auto r = store_->close(); !r && result) result = r;
  }
  if (result) rt_.log(rt::LogLevel::info, "broker stopped: offsets saved, store closed");
  return result;
}

void Broker::client_scan_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.client_scan_interval);
    for (const auto& g : clients_.expire(rt_.now(), cfg_.channel_expired_timeout)) {
      rt_.log(rt::LogLevel::info, "consumer of " + g + " expired: no heartbeat for " +
                                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                         cfg_.channel_expired_timeout)
                                                         .count()) +
                                      " s");
      notify_consumer_ids_changed(g);
    }
    const rt::Instant now = rt_.now();
    locks_.expire(now);
  }
}

void Broker::offset_flush_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.flush_consumer_offset_interval);
    if (auto r = offsets_.persist(); !r) rt_.log(rt::LogLevel::warn, "consumer offsets not saved: " + r.error().message());
  }
}

int32_t send_code_for(store::PutStatus s) {
  namespace rs = remoting::response_code;
  switch (s) {
    case store::PutStatus::put_ok: return rs::kSuccess;
    case store::PutStatus::flush_disk_timeout: return rs::kFlushDiskTimeout;
    case store::PutStatus::message_illegal:
    case store::PutStatus::properties_size_exceeded: return rs::kMessageIllegal;
    case store::PutStatus::service_not_available: return rs::kServiceNotAvailable;
    case store::PutStatus::os_page_cache_busy: return rs::kSystemError;
    case store::PutStatus::flush_slave_timeout: return rs::kFlushSlaveTimeout;
    case store::PutStatus::slave_not_available: return rs::kSlaveNotAvailable;
  }
  return rs::kSystemError;
}

int32_t pull_code_for(store::GetStatus s, int64_t requested_offset) {
  namespace rs = remoting::response_code;
  switch (s) {
    case store::GetStatus::found: return rs::kSuccess;
    case store::GetStatus::no_matched_message:
    case store::GetStatus::message_was_removing: return rs::kPullRetryImmediately;
    case store::GetStatus::no_message_in_queue:
    case store::GetStatus::no_matched_logic_queue:
      return requested_offset != 0 ? rs::kPullOffsetMoved : rs::kPullNotFound;
    case store::GetStatus::offset_too_small:
    case store::GetStatus::offset_overflow_badly: return rs::kPullOffsetMoved;
    case store::GetStatus::offset_overflow_one:
    case store::GetStatus::offset_found_null: return rs::kPullNotFound;
  }
  return rs::kSystemError;
}

}  // namespace rmq::broker
