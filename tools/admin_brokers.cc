// rmq-admin's broker subcommands (admin_command.h).
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/numbers.h"
#include "store/delay_levels.h"
#include "tools/admin_command.h"
#include "tools/admin_format.h"

namespace rmq::tools {

using remoting::cluster_masters;
using remoting::Master;
using remoting::route_masters;
using remoting::table_long;
using remoting::table_rate;

namespace {

Outcome<void> cluster_list(Context& c) {
  auto info = c.admin.cluster_info();
  if (!info) return info.error();
  // mqadmin's columns, then replication: the role, the HA peer (a master's
  // slaves, a slave's master) and the bytes of log the slave(s) lack.
  Table table({"#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS", "#OutTPS", "#InTotalToday",
               "#OutTotalToday", "#Role", "#HAPeer", "#HALagBytes"});
  std::string problems;
  for (const auto& [cluster, names] : info->cluster_addr_table) {
    for (const auto& name : names) {
      auto b = info->broker_addr_table.find(name);
      if (b == info->broker_addr_table.end()) continue;
      int64_t master_log_end = -1;
      for (const auto& [id, addr] : b->second.broker_addrs) {  // the master (id 0) first
        auto rt_info = c.admin.broker_runtime_info(addr);
        if (!rt_info) {
          problems += (problems.empty() ? "" : "; ") + rt_info.error().message;
          table.add({cluster, name, std::to_string(id), addr, "-", "-", "-", "-", "-", "-", "-", "-"});
          continue;
        }
        const auto& t = *rt_info;
        auto field = [&](const char* key) {
          auto it = t.find(key);
          return it == t.end() || it->second.empty() ? std::string("-") : it->second;
        };
        std::string lag = field("haReplicationLagBytes");
        if (id == 0) {
          master_log_end = table_long(t, "commitLogMaxOffset");
        } else if (master_log_end >= 0) {
          lag = std::to_string(std::max<int64_t>(0, master_log_end - table_long(t, "commitLogMaxOffset")));
        }
        table.add({cluster, name, std::to_string(id), addr, field("brokerVersionDesc"), table_rate(t, "putTps"),
                   table_rate(t, "getTransferedTps"),
                   std::to_string(table_long(t, "msgPutTotalTodayNow") - table_long(t, "msgPutTotalTodayMorning")),
                   std::to_string(table_long(t, "msgGetTotalTodayNow") - table_long(t, "msgGetTotalTodayMorning")),
                   field("brokerRole"), field("haPeer"), lag});
      }
    }
  }
  print(table.render());
  if (!problems.empty()) return admin_error(problems);
  return {};
}

Outcome<void> broker_status(Context& c) {
  auto t = c.admin.broker_runtime_info(c.flags.text('b'));
  if (!t) return t.error();
  for (const auto& [k, v] : *t) print(fmt::format("{:<40}: {}\n", k, v));
  return {};
}

// Delay levels (reference 8.5) and transactions (8.6) of each broker, from
// its runtime info.
Outcome<void> delay_status(Context& c) {
  auto targets = chosen_brokers(c);
  if (!targets) return targets.error();
  for (const auto& target : *targets) {
    auto t = c.admin.broker_runtime_info(target.addr);
    if (!t) return t.error();
    print(fmt::format("{}broker {}{}\n", &target == &targets->front() ? "" : "\n", target.addr,
                      target.broker_name.empty() ? "" : " (" + target.broker_name + ")"));
    Table table({"#Level", "#Delay", "#Delivered", "#Parked", "#Backlog", "#NextDue"});
    for (int level = 1;; ++level) {
      auto offsets = t->find(fmt::format("scheduleMessageOffset_{}", level));
      if (offsets == t->end()) break;
      // "delivered,parked", as RocketMQ's broker reports them.
      const std::string_view v = offsets->second;
      const size_t comma = std::min(v.find(','), v.size());
      const int64_t delivered = common::parse_java_long(v.substr(0, comma)).value_or(0);
      const int64_t parked = common::parse_java_long(v.substr(std::min(comma + 1, v.size()))).value_or(0);
      const int64_t delay_ms = table_long(*t, fmt::format("scheduleMessageDelay_{}", level));
      const int64_t due = table_long(*t, fmt::format("scheduleMessageNextDue_{}", level));
      table.add({std::to_string(level), store::format_delay_levels({delay_ms}), std::to_string(delivered),
                 std::to_string(parked), std::to_string(parked - delivered), due > 0 ? format_time_ms(due) : "-"});
    }
    if (table.rows() == 0) return admin_error("broker " + target.addr + " reports no delay levels");
    print(table.render());
    print(fmt::format("Transactions: {} half message(s) pending, {} committed, {} rolled back, {} given up, {} "
                      "check(s) sent\n",
                      table_long(*t, "transactionHalfPending"), table_long(*t, "transactionCommitted"),
                      table_long(*t, "transactionRolledBack"), table_long(*t, "transactionGivenUp"),
                      table_long(*t, "transactionChecksSent")));
  }
  return {};
}

// wipeWritePerm / addWritePerm: every namesrv takes away (or gives back) the
// broker's write permission on its topics; each answer on a line.
Outcome<void> write_perm(Context& c, bool writable) {
  const std::string& broker = c.flags.text('b');
  if (c.mq.config().namesrv_addrs.empty()) return usage_error("no namesrv address: give -n or set NAMESRV_ADDR");
  const char* verb = writable ? "add" : "wipe";
  std::string problems;
  for (auto& [addr, count] : c.admin.set_write_perm(broker, writable)) {
    if (!count) {
      print(fmt::format("{} write perm of broker[{}] in name server[{}] Failed\n", verb, broker, addr));
      problems += (problems.empty() ? "" : "; ") + count.error().message;
      continue;
    }
    print(fmt::format("{} write perm of broker[{}] in name server[{}] OK, {}\n", verb, broker, addr, *count));
  }
  if (!problems.empty()) return admin_error(problems);
  return {};
}

Outcome<void> wipe_write_perm(Context& c) { return write_perm(c, false); }
Outcome<void> add_write_perm(Context& c) { return write_perm(c, true); }

// One broker's GET_BROKER_CONFIG, printed as mqadmin does.
Outcome<void> print_broker_config(Context& c, const std::string& addr, const std::string& banner) {
  auto props = c.admin.broker_config(addr);
  if (!props) return props.error();
  print(banner);
  if (props->empty()) print(fmt::format("Broker[{}] has no config property!\n", addr));
  for (const auto& [k, v] : *props) print(fmt::format("{:<50}=  {}\n", k, v));
  print("\n");
  return {};
}

Outcome<void> get_broker_config(Context& c) {
  const Flags& f = c.flags;
  if (f.has('b') == f.has('c')) return usage_error("give exactly one of -b BROKER_ADDR and -c CLUSTER");
  if (f.has('b')) return print_broker_config(c, f.text('b'), fmt::format("============{}============\n", f.text('b')));
  auto info = c.admin.cluster_info();
  if (!info) return info.error();
  auto names = info->cluster_addr_table.find(f.text('c'));
  if (names == info->cluster_addr_table.end()) return admin_error("no cluster " + f.text('c') + " in the namesrv");
  for (const auto& name : names->second) {
    auto b = info->broker_addr_table.find(name);
    if (b == info->broker_addr_table.end()) continue;
    const auto master = remoting::master_addr(b->second);
    for (const auto& [id, addr] : b->second.broker_addrs) {  // the master (id 0) first
      const std::string banner = id == 0 ? fmt::format("============Master: {}============\n", addr)
                                         : fmt::format("============My Master: {}=====Slave: {}============\n",
                                                       master.value_or("-"), addr);
      if (auto r = print_broker_config(c, addr, banner); !r) return r;
    }
  }
  return {};
}

Outcome<void> update_broker_config(Context& c) {
  const Flags& f = c.flags;
  auto targets = chosen_brokers(c);
  if (!targets) return targets.error();
  for (const auto& target : *targets) {
    if (auto r = c.admin.update_broker_config(target.addr, f.text('k'), f.text('v')); !r) return r.error();
    print(fmt::format("update broker config success, {}\n", target.addr));
  }
  return {};
}

}  // namespace

std::vector<Subcommand> broker_commands() {
  using K = FlagKind;
  return {
      {{"clusterList", "Every broker of every cluster, with its version and traffic.", {namesrv_flag().must()}},
       cluster_list},
      {{"brokerStatus", "A broker's runtime statistics.",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker", K::address).must()}},
       broker_status},
      {{"delayStatus", "Delay levels (delivered, parked, backlog, next due) and transactions of brokers.",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "this broker", K::address),
         flag('c', "clusterName", "CLUSTER", "every master of this cluster")}},
       delay_status},
      {{"wipeWritePerm", "Take a broker's write permission away in every namesrv (before maintenance).",
        {namesrv_flag().must(), flag('b', "brokerName", "BROKER_NAME", "the broker group").must()}},
       wipe_write_perm},
      {{"addWritePerm", "Give a broker's write permission back in every namesrv.",
        {namesrv_flag().must(), flag('b', "brokerName", "BROKER_NAME", "the broker group").must()}},
       add_write_perm},
      {{"getBrokerConfig", "A broker's settings (-b), or every broker's of a cluster (-c).",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker", FlagKind::address),
         flag('c', "clusterName", "CLUSTER", "every broker of this cluster")}},
       get_broker_config},
      {{"updateBrokerConfig", "Change a setting of a broker (-b) or every master of a cluster (-c) while it runs.",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker", FlagKind::address),
         flag('c', "clusterName", "CLUSTER", "every master of this cluster"),
         flag('k', "key", "KEY", "the setting (brokerPermission, autoCreateTopicEnable, ...)").must(),
         flag('v', "value", "VALUE", "its new value").must()}},
       update_broker_config},
  };
}

}  // namespace rmq::tools
