// rmq-admin's broker subcommands (admin_command.h).
#include <string>
#include <vector>

#include <fmt/format.h>

#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "common/numbers.h"
#include "store/delay_levels.h"
#include "tools/admin_command.h"
#include "tools/admin_format.h"

namespace rmq::tools {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::put_field;
using remoting::RemotingCommand;
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
  };
}

}  // namespace rmq::tools
