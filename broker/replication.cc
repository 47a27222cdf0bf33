// Master/slave (reference 9): the broker's side of store/ha. A master
// serves the HA port and, as a SYNC_MASTER, answers a send only once a slave
// has its bytes; a slave replicates its master's log, learns the master from
// its namesrv registration, refuses writes, and copies topics, consumer
// offsets, delay offsets and subscription groups from the master every
// slave_sync_interval (RocketMQ's SlaveSynchronize).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "broker/broker.h"
#include "broker/reply.h"
#include "common/message_const.h"
#include "remoting/codes.h"
#include "store/config_files.h"

namespace rmq::broker {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;

rt::Result<void> Broker::start_replication() {
  if (cfg_.slave()) {
    ha_slave_ = std::make_unique<store::HaSlave>(rt_, *store_, cfg_.store.ha);
    if (!cfg_.ha_master_address.empty()) ha_slave_->set_master(cfg_.ha_master_address);
    ha_slave_->start();
    tasks_.push_back(rt_.spawn("broker-slave-sync", [this] { slave_sync_loop(); }));
    return {};
  }
  ha_master_ = std::make_unique<store::HaMaster>(rt_, *store_, cfg_.store.ha);
  return ha_master_->start(cfg_.bind_address + ":" + std::to_string(cfg_.ha_port()));
}

void Broker::stop_replication() {
  if (ha_slave_) ha_slave_->stop();
  if (ha_master_) ha_master_->stop();
}

void Broker::await_slave(store::PutResult& r, bool wait_store_ok) {
  if (cfg_.role != BrokerRole::sync_master || !wait_store_ok) return;
  if (r.status != store::PutStatus::put_ok && r.status != store::PutStatus::flush_disk_timeout) return;
  // Under SYNC_FLUSH a slave is streamed synced bytes only: one whose sync
  // timed out cannot be acknowledged sooner, so answer FLUSH_DISK_TIMEOUT now.
  if (r.status == store::PutStatus::flush_disk_timeout && cfg_.store.flush_disk_type == store::FlushDiskType::sync_flush)
    return;
  const int64_t end = r.physical_offset + r.bytes;
  if (!ha_master_->slave_ok(end)) {
    r.status = store::PutStatus::slave_not_available;
    r.detail = "no slave connected, or the slave is haSlaveFallbehindMax behind; the message is stored on the master";
    return;
  }
  if (!ha_master_->wait_acked(end, cfg_.store.sync_flush_timeout)) {
    r.status = store::PutStatus::flush_slave_timeout;
    r.detail = fmt::format("no slave acknowledged it within {} ms; the message is stored on the master",
                           std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.store.sync_flush_timeout).count());
  }
}

std::vector<std::pair<std::string, std::string>> Broker::replication_status() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("brokerRole", std::string(to_string(cfg_.role)));
  if (ha_master_) {
    std::vector<std::string> peers;
    for (const auto& sl : ha_master_->slaves()) peers.push_back(sl.address);
    out.emplace_back("haPeer", fmt::to_string(fmt::join(peers, ",")));
    out.emplace_back("haSlaveAckOffset", std::to_string(ha_master_->acked()));
    out.emplace_back("haReplicationLagBytes",
                     std::to_string(peers.empty() ? 0 : std::max<int64_t>(0, store_->written() - ha_master_->acked())));
  } else if (ha_slave_) {
    out.emplace_back("haPeer", ha_slave_->master());
    out.emplace_back("haConnected", ha_slave_->connected() ? "true" : "false");
    out.emplace_back("haReportedOffset", std::to_string(ha_slave_->reported()));
    out.emplace_back("masterAddr", master_addr_);
  }
  return out;
}

void Broker::learn_master(const std::optional<std::string>& ha_server_addr,
                          const std::optional<std::string>& master_addr) {
  if (!cfg_.slave()) return;
  // A configured haMasterAddress wins (RocketMQ updates it from the namesrv
  // only when none is configured).
  if (cfg_.ha_master_address.empty() && ha_server_addr && !ha_server_addr->empty())
    ha_slave_->set_master(*ha_server_addr);
  // No master in the answer: the namesrv has none (RocketMQ's slave then
  // stops syncing too).
  const std::string learned = master_addr.value_or("");
  if (learned != master_addr_) {
    rt_.log(rt::LogLevel::info, "slave: master broker is " + (learned.empty() ? std::string("unknown") : learned));
    master_addr_ = learned;
    if (!master_addr_.empty()) {
      master_learned_ = true;
      sync_now_.set();
    }
  }
}

void Broker::slave_sync_loop() {
  for (;;) {
    (void)sync_now_.wait(cfg_.slave_sync_interval);
    sync_now_.reset();
    if (!master_addr_.empty()) {
      slave_sync_once();
    } else if (!master_learned_) {
      // The namesrv had no master yet when this slave registered (it
      // started first): ask again now rather than at the next 30-s
      // registration, so the topics reach this slave before its master
      // might be lost. RocketMQ waits for the next registration. (A master
      // gone later is left to the regular registrations.)
      register_now_.set();
    }
    if (master_addr_.empty()) adopt_stored_topics();
  }
}

void Broker::adopt_stored_topics() {
  for (const auto& [topic, queues] : store_->queue_counts()) {
    if (topics_.find(topic)) continue;
    store::TopicConfig tc;
    tc.topic_name = topic;
    tc.read_queue_nums = tc.write_queue_nums = queues;
    rt_.log(rt::LogLevel::warn, fmt::format("slave: topic {} has {} queues here but no config from the master; "
                                            "serving it from the store until the master's config arrives",
                                            topic, queues));
    if (auto r = topics_.upsert(std::move(tc)); !r)
      rt_.log(rt::LogLevel::warn, "slave: topic " + topic + " not saved: " + r.error().message());
  }
}

void Broker::slave_sync_once() {
  const std::string master = master_addr_;
  bool failed = false;
  auto fetch = [&](int32_t code) -> std::optional<std::string> {
    if (failed) return std::nullopt;  // one failure per round is enough
    auto resp = namesrv_client_->invoke(master, Command::request(code), 3s);
    if (!resp || resp->code != rs::kSuccess) {
      // Logged when the master stops answering, not every round after.
      if (!sync_failing_)
        rt_.log(rt::LogLevel::warn, fmt::format("slave sync: request {} to master {} failed: {}; retrying every {} s",
                                                code, master,
                                                resp ? resp->remark.value_or(std::to_string(resp->code))
                                                     : resp.error().message(),
                                                std::chrono::duration_cast<std::chrono::seconds>(
                                                    cfg_.slave_sync_interval).count()));
      failed = sync_failing_ = true;
      return std::nullopt;
    }
    return std::string(body_text(*resp));
  };
  std::vector<std::string> removed;
  if (auto text = fetch(rc::kGetAllTopicConfig)) {
    auto t = store::decode_topics(*text);
    if (!t) rt_.log(rt::LogLevel::warn, "slave sync: master's topics do not decode: " + t.error().detail());
    else if (auto r = topics_.mirror(std::move(*t), &removed); !r)
      rt_.log(rt::LogLevel::warn, "slave sync: topics not saved: " + r.error().message());
    // A topic the master no longer has goes here too, queues and all, so
    // that it never comes back as a stored topic (adopt_stored_topics).
    const auto stored = store_->queue_counts();
    for (const auto& topic : removed) {
      if (!stored.count(topic)) continue;
      rt_.log(rt::LogLevel::info, "slave sync: topic " + topic + " is gone on the master; its queues go here too");
      offsets_.remove_topic(topic);
      if (auto d = store_->delete_topic(topic); !d)
        rt_.log(rt::LogLevel::warn, "slave sync: topic " + topic + " not deleted: " + d.error().message());
    }
  }
  if (auto text = fetch(rc::kGetAllConsumerOffset)) {
    auto t = store::decode_consumer_offsets(*text);
    if (!t) {
      rt_.log(rt::LogLevel::warn, "slave sync: master's offsets do not decode: " + t.error().detail());
    } else {
      offsets_.mirror(*t);
      if (auto r = offsets_.persist(); !r) rt_.log(rt::LogLevel::warn, "slave sync: offsets not saved: " + r.error().message());
    }
  }
  if (auto text = fetch(rc::kGetAllDelayOffset)) {
    auto t = store::decode_delay_offsets(*text);
    if (!t) {
      rt_.log(rt::LogLevel::warn, "slave sync: master's delay offsets do not decode: " + t.error().detail());
    } else if (auto r = store::save_delay_offsets(rt_.fs(), store::delay_offset_path(cfg_.store.root_dir), *t); !r) {
      rt_.log(rt::LogLevel::warn, "slave sync: delay offsets not saved: " + r.error().message());
    } else if (auto l = schedule_->load(); !l) {
      rt_.log(rt::LogLevel::warn, "slave sync: delay offsets not loaded: " + l.error().message());
    }
  }
  if (auto text = fetch(rc::kGetAllSubscriptiongroupConfig)) {
    auto t = store::decode_subscription_groups(*text);
    if (!t) rt_.log(rt::LogLevel::warn, "slave sync: master's groups do not decode: " + t.error().detail());
    else if (auto r = groups_.mirror(std::move(*t)); !r) rt_.log(rt::LogLevel::warn, "slave sync: groups not saved: " + r.error().message());
  }
  if (!failed && sync_failing_) {
    rt_.log(rt::LogLevel::info, "slave sync: master " + master + " answers again");
    sync_failing_ = false;
  }
}

std::optional<remoting::RemotingCommand> refuse_admin_write_on_slave(const BrokerConfig& cfg,
                                                                     const remoting::RemotingCommand& req) {
  if (!cfg.slave()) return std::nullopt;
  return error_reply(req, rs::kSystemError,
                     "Can't modify topic or subscription group from slave broker, please execute it from master broker.");
}

}  // namespace rmq::broker
