// Namesrv registration: REGISTER_BROKER to every configured namesrv at
// start and at once after a topic change, with the topic table (compressed
// above compress_register_above_bytes); every registerNameServerPeriod
// (30 s) a keep-alive. The keep-alive is QUERY_DATA_VERSION with the
// topic table's DataVersion (about 300 bytes whatever the topic count): a
// namesrv holding that version counts it as the broker's heartbeat (as
// RocketMQ 4.9's namesrv does); one that answers "changed" (it restarted,
// or expired the broker) gets the full registration at once. A slave that
// does not know its master, or has lost its HA connection, registers fully
// (the answer names the master). Each namesrv is independent: one that is
// down does not delay the others.
#include <zlib.h>

#include "broker/broker.h"
#include "remoting/codec.h"
#include "remoting/codes.h"
#include "remoting/headers_namesrv.h"
#include "remoting/route_data.h"
#include "runtime/assert.h"

namespace rmq::broker {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;

namespace {

// brokerPermission without read or write masks every topic's permission in
// the routes (RocketMQ's registerBrokerAll), so clients stop using it.
remoting::RegisterBrokerBody register_body(const store::TopicConfigTable& t, int32_t broker_permission) {
  const bool full = (broker_permission & kPermRead) != 0 && (broker_permission & kPermWrite) != 0;
  remoting::RegisterBrokerBody b;
  b.data_version = t.data_version;
  b.topic_config_table = t.topic_config_table;
  if (!full)
    for (auto& [name, tc] : b.topic_config_table) tc.perm &= broker_permission;
  return b;
}

}  // namespace

void Broker::register_loop() {
  for (;;) {
    // A change wakes the loop early (a full registration); otherwise a
    // keep-alive every period.
    const bool changed = register_now_.wait(cfg_.register_name_server_period).ok();
    register_now_.reset();
    register_all(changed);
  }
}

void Broker::register_all(bool force) {
  const store::DataVersion& dv = topics_.table().data_version;
  remoting::DataVersion version;
  version.counter = dv.counter;
  version.timestamp = dv.timestamp;
  version.state_version = dv.state_version;
  if (!registration_ || !(registration_->version == version)) {
    const remoting::RegisterBrokerBody body = register_body(topics_.table(), cfg_.broker_permission);
    std::vector<std::byte> plain = remoting::encode_register_broker_body(body, false);
    const bool compress = plain.size() > cfg_.compress_register_above_bytes;
    EncodedRegistration e;
    e.version = body.data_version;
    e.bytes = compress ? remoting::encode_register_broker_body(body, true) : std::move(plain);
    e.compressed = compress;
    e.crc = static_cast<int32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(e.bytes.data()), static_cast<uInt>(e.bytes.size())) & 0x7fffffff);
    registration_ = std::move(e);
  }
  const std::vector<std::byte>& bytes = registration_->bytes;
  remoting::RegisterBrokerRequestHeader h;
  h.broker_name = cfg_.broker_name;
  h.broker_addr = cfg_.address();
  h.cluster_name = cfg_.cluster_name;
  h.ha_server_addr = cfg_.ha_address();
  h.broker_id = cfg_.broker_id;
  h.heartbeat_timeout_millis = 120'000;
  h.compressed = registration_->compressed;
  h.body_crc32 = registration_->crc;
  // A slave that lacks its master learns it from a full registration's answer.
  const bool slave_needs_master = cfg_.slave() && (master_addr_.empty() || !ha_slave_ || !ha_slave_->connected());
  // One task per namesrv, all waited for: a dead one costs its timeout, not
  // everyone's.
  std::vector<rt::Task> calls;
  for (const auto& addr : cfg_.namesrv_addrs) {
    calls.push_back(rt_.spawn("broker-register-one", [this, addr, h, bytes, version, force, slave_needs_master] {
      auto known = registered_version_.find(addr);
      if (!force && !slave_needs_master && known != registered_version_.end() && known->second == version &&
          keep_alive(addr, version))
        return;
      auto req = remoting::RemotingCommand::request(rc::kRegisterBroker);
      h.encode(req);
      req.body = bytes;
      register_stats_.last_full_bytes = static_cast<int64_t>(remoting::encode_frame(req).size());
      ++register_stats_.full;
      auto resp = namesrv_client_->invoke(addr, std::move(req), cfg_.register_timeout);
      if (!resp) {
        rt_.log(rt::LogLevel::warn, "register with namesrv " + addr + " failed: " + resp.error().message());
      } else if (resp->code != rs::kSuccess) {
        rt_.log(rt::LogLevel::warn, "namesrv " + addr + " refused the registration: " +
                                        std::to_string(resp->code) + " " + resp->remark.value_or(""));
      } else {
        registered_version_[addr] = version;
        if (auto rh = remoting::RegisterBrokerResponseHeader::decode(*resp); rh)
          learn_master(rh->ha_server_addr, rh->master_addr);
      }
    }));
  }
  try {
    for (auto& c : calls) (void)c.join();
  } catch (const rt::Cancelled&) {
    for (auto& c : calls) c.cancel_and_join();  // they use this object
    throw;
  }
}

remoting::UnregisterBrokerRequestHeader Broker::identity_header() const {
  remoting::UnregisterBrokerRequestHeader h;
  h.broker_name = cfg_.broker_name;
  h.broker_addr = cfg_.address();
  h.cluster_name = cfg_.cluster_name;
  h.broker_id = cfg_.broker_id;
  return h;
}

bool Broker::keep_alive(const std::string& addr, const remoting::DataVersion& version) {
  auto req = remoting::RemotingCommand::request(rc::kQueryDataVersion);
  identity_header().encode(req);  // QUERY_DATA_VERSION names the broker as UNREGISTER_BROKER does
  req.body = remoting::to_bytes(remoting::encode_data_version(version));
  register_stats_.last_keepalive_bytes = static_cast<int64_t>(remoting::encode_frame(req).size());
  ++register_stats_.keepalives;
  auto resp = namesrv_client_->invoke(addr, std::move(req), cfg_.register_timeout);
  if (!resp || resp->code != rs::kSuccess) return false;  // a full registration decides
  auto rh = remoting::QueryDataVersionResponseHeader::decode(*resp);
  if (!rh || rh->changed) {
    rt_.log(rt::LogLevel::info, "namesrv " + addr + " does not hold this broker's topics; registering fully");
    return false;
  }
  return true;
}

void Broker::register_created_topic(const std::string& topic) {
  rt_.log(rt::LogLevel::info, "topic " + topic + " created; registering with the namesrvs before answering");
  register_all(true);
}

void Broker::unregister_all() {
  for (const auto& addr : cfg_.namesrv_addrs) {
    auto req = remoting::RemotingCommand::request(rc::kUnregisterBroker);
    identity_header().encode(req);
    auto resp = namesrv_client_->invoke(addr, std::move(req), 3s);
    if (!resp) rt_.log(rt::LogLevel::warn, "unregister from namesrv " + addr + ": " + resp.error().message());
  }
}

}  // namespace rmq::broker
