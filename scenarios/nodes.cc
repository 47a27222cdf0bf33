#include "scenarios/nodes.h"

#include "broker/broker.h"
#include "namesrv/name_server.h"

namespace rmq::scenarios {

void namesrv_main(rt::Runtime& rt) {
  namesrv::NamesrvConfig c;
  c.kv_config_path = "/namesrv/kv.json";
  namesrv::NameServer n(rt, c);
  if (!n.start()) return;
  rt.sleep_for(rt::kForever);
}

void broker_main(rt::Runtime& rt, const broker::BrokerConfig& cfg, const std::function<void(std::string)>& fail,
                 const std::function<void()>& booted) {
  broker::Broker b(rt, cfg);
  if (auto r = b.start(); !r) {
    if (r.error().code() != rt::Errc::cancelled) fail("broker start: " + r.error().message());
    return;
  }
  if (booted) booted();
  rt.sleep_for(rt::kForever);
}

}  // namespace rmq::scenarios
