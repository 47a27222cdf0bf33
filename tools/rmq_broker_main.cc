// rmq-broker: a RocketMQ broker (master or slave) on the real runtime.
//
//   rmq-broker [-c broker.conf] [--key=value ...]
//
// Keys are RocketMQ's (see broker/broker_config.h and docs/broker.md):
// brokerClusterName, brokerName, brokerId, namesrvAddr, listenPort,
// brokerIP1, storePathRootDir (default ~/store), flushDiskType, brokerRole,
// haListenPort, haMasterAddress, slaveReadEnable, transferMsgByHeap,
// autoCreateTopicEnable, defaultTopicQueueNums, ... The command line wins
// over the file. Unknown keys are warned about; an invalid value stops
// start-up with a message naming the key (exit 1); bad usage exits 2.
// SIGTERM/SIGINT: stop accepting, finish what is in flight, persist offsets
// and configs, flush and checkpoint the store, exit 0.
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "common/config.h"
#include "runtime/real/real_runtime.h"
#include "tools/server_cli.h"

int main(int argc, char** argv) {
  rmq::tools::ServerArgs args;
  if (auto exit_now = rmq::tools::parse_server_args(argc, argv, "rmq-broker", args)) return *exit_now;
  const std::string default_root = rmq::tools::home_dir() + "/store";

  rmq::real::RealRuntime rt({.name = "broker"});
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
    if (!props.has("storePathRootDir")) props.set("storePathRootDir", default_root);
    auto cfg = rmq::broker::broker_config_from(props);
    if (!cfg) return fail(cfg.error().detail());
    for (const auto& k : props.unknown_keys()) rt.log(rmq::rt::LogLevel::warn, "unknown config key ignored: " + k);
    // What the page cache can hold decides when a lagging consumer is
    // pointed at a slave (reference 3.3, suggestWhichBrokerId).
    cfg->store.physical_memory_bytes = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
    if (cfg->namesrv_addrs.empty()) rt.log(rmq::rt::LogLevel::warn, "no namesrvAddr: clients will not find this broker");

    rmq::broker::Broker broker(rt, std::move(*cfg));
    if (auto started = broker.start(); !started) return fail(started.error().message());
    // A signal cancels this task; ~Broker then shuts down cleanly while the
    // stack unwinds (suspension points still work then).
    rt.sleep_for(rmq::rt::kForever);
  });
  return exit_code;
}
