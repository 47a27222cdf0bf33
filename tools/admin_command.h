// What rmq-admin's subcommands share: the context a subcommand runs in (the
// client instance, its admin API and the parsed flags), the subcommand
// table entry, the common flags, and the tables of each family:
//   admin_topics.cc    updateTopic deleteTopic topicList topicRoute topicStatus topicClusterList
//   admin_brokers.cc   clusterList brokerStatus delayStatus
//   admin_groups.cc    consumerProgress consumerConnection updateSubGroup deleteSubGroup
//   admin_messages.cc  queryMsgById queryMsgByKey queryMsgByUniqueKey queryMsgByOffset printMsg
//                      sendMessage sendMsgStatus consumeMessage
// A subcommand parses nothing and talks to servers only through
// client::Admin and the client's producer and consumers. tools/ only.
#pragma once

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "client/admin.h"
#include "client/mq_client.h"
#include "remoting/admin_bodies.h"
#include "tools/admin_args.h"

namespace rmq::tools {

inline constexpr const char* kProgram = "rmq-admin";
// A connect, and each answer, waits at most this long.
inline constexpr rt::Duration kCallTimeout = std::chrono::seconds(5);

struct Context {
  rt::Runtime& runtime;
  client::MqClient& mq;
  client::Admin& admin;
  const Flags& flags;
};

template <class T>
using Outcome = client::AdminResult<T>;
using client::AdminError;
using client::admin_error;
using client::usage_error;

using Run = Outcome<void> (*)(Context&);
struct Subcommand {
  CommandSpec spec;
  Run run;
};

std::vector<Subcommand> topic_commands();
std::vector<Subcommand> broker_commands();
std::vector<Subcommand> group_commands();
std::vector<Subcommand> message_commands();

inline constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
inline constexpr int64_t kMaxLong = std::numeric_limits<int64_t>::max();

inline FlagSpec namesrv_flag() {
  return flag('n', "namesrvAddr", "NAMESRV", "namesrv address(es), host:port;host:port", FlagKind::address_list);
}
inline FlagSpec topic_flag() { return flag('t', "topic", "TOPIC", "the topic").must(); }

inline void print(const std::string& text) { std::fputs(text.c_str(), stdout); }

// The masters a subcommand's -b BROKER_ADDR or -c CLUSTER names.
Outcome<std::vector<remoting::Master>> chosen_brokers(Context& c);

}  // namespace rmq::tools
