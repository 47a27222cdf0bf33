// rmq-namesrv: the NameServer on the real runtime.
//
//   rmq-namesrv [-c namesrv.conf] [--key=value ...]
//
// Keys (properties file or --key=value, the command line wins):
//   listenPort                    9876
//   bindAddress                   0.0.0.0   (not a RocketMQ key: the IP to listen on)
//   kvConfigPath                  $HOME/namesrv/kvConfig.json
//   scanNotActiveBrokerInterval   10000     (ms between broker liveness scans)
// Unknown keys are warned about; an invalid value stops start-up with a
// message naming the key (exit 1). SIGTERM/SIGINT stop it cleanly (exit 0).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/config.h"
#include "namesrv/name_server.h"
#include "runtime/real/real_runtime.h"
#include "tools/server_cli.h"

int main(int argc, char** argv) {
  rmq::tools::ServerArgs args;
  if (auto exit_now = rmq::tools::parse_server_args(argc, argv, "rmq-namesrv", args)) return *exit_now;
  const std::string default_kv = rmq::tools::home_dir() + "/namesrv/kvConfig.json";

  rmq::real::RealRuntime rt({.name = "namesrv"});
  int exit_code = 0;
  rt.stop_on_signals();
  rt.run([&] {
    auto fail = [&](const std::string& what) {
      rt.log(rmq::rt::LogLevel::error, "start-up failed: " + what);
      exit_code = 1;
    };
    auto loaded = rmq::tools::load_server_properties(rt.fs(), args);
    if (!loaded) return fail(loaded.error().detail());
    rmq::common::Properties& props = *loaded;
    rmq::namesrv::NamesrvConfig cfg;
    auto port = props.get_int("listenPort", 9876, 1, 65535);
    if (!port) return fail(port.error().detail());
    cfg.listen_address = props.get_string("bindAddress", "0.0.0.0") + ":" + std::to_string(*port);
    cfg.kv_config_path = props.get_string("kvConfigPath", default_kv);
    auto scan_ms = props.get_int("scanNotActiveBrokerInterval", 10000, 1, 3600 * 1000);
    if (!scan_ms) return fail(scan_ms.error().detail());
    cfg.scan_interval = std::chrono::milliseconds(*scan_ms);
    auto metrics = rmq::common::exporter_config_from(props);
    if (!metrics) return fail(metrics.error().detail());
    cfg.metrics = std::move(*metrics);
    for (const auto& k : props.unknown_keys()) rt.log(rmq::rt::LogLevel::warn, "unknown config key ignored: " + k);

    rmq::namesrv::NameServer ns(rt, cfg);
    if (auto started = ns.start(); !started) return fail(started.error().message());
    try {
      rt.sleep_for(rmq::rt::kForever);
    } catch (const rmq::rt::Cancelled&) {
      rt.log(rmq::rt::LogLevel::info, "namesrv stopping");
      throw;  // ~NameServer stops serving while the task unwinds
    }
  });
  return exit_code;
}
