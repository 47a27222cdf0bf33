// rmq-admin's connection to a cluster: requests to the namesrvs (each in
// turn until one answers) and to brokers, with every failure turned into a
// sentence for the operator that names the address, and for RocketMQ error
// answers the response code's name and remark:
//
//   namesrv 127.0.0.1:9876 answered TOPIC_NOT_EXIST (17): No topic route ...
//   cannot reach broker 127.0.0.1:10911: refused: connect 127.0.0.1:10911: ...
//
// Connecting waits at most kCallTimeout, and so does each answer. All calls
// suspend; use from one task of the runtime. tools/ only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "remoting/command.h"
#include "remoting/route_data.h"
#include "remoting/rpc.h"
#include "runtime/runtime.h"

namespace rmq::tools {

using namespace std::chrono_literals;

inline constexpr rt::Duration kCallTimeout = 5s;

// Why a subcommand failed, and the process exit status that says so.
struct Failure {
  int exit_code = 1;  // 1: a server could not be reached or refused; 2: bad usage
  std::string message;
  int32_t response_code = 0;  // the code of the error answer, when that is what failed
};

inline Failure usage_failure(std::string message) { return Failure{2, std::move(message), 0}; }
inline Failure failure(std::string message) { return Failure{1, std::move(message), 0}; }

// A value or a Failure.
template <class T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Outcome(Failure f) : v_(std::in_place_index<1>, std::move(f)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};

template <>
class [[nodiscard]] Outcome<void> {
 public:
  Outcome() = default;
  Outcome(Failure f) : f_(std::move(f)) {}
  bool ok() const { return !f_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Failure& failure() const { return *f_; }

 private:
  std::optional<Failure> f_;
};

// "TOPIC_NOT_EXIST (17): <remark>".
std::string describe_code(const remoting::RemotingCommand& response);
// "broker 127.0.0.1:10911 answered TOPIC_NOT_EXIST (17): <remark>", the code kept.
Failure answered(std::string_view role, const std::string& addr, const remoting::RemotingCommand& response);
// "the <what> of broker 127.0.0.1:10911 does not decode: <detail>".
Failure undecodable(std::string_view what, const std::string& addr, const rt::Error& e);

class AdminClient {
 public:
  // `namesrv_addrs` may be empty for subcommands that talk to brokers only.
  AdminClient(rt::Runtime& rt, std::vector<std::string> namesrv_addrs);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // `request` to the namesrvs in the order given until one answers; an
  // unreachable one is skipped. A non-SUCCESS answer is a Failure (the
  // others are not asked: they would answer the same).
  Outcome<remoting::RemotingCommand> ask_namesrv(const remoting::RemotingCommand& request);
  // `request` to every namesrv (updates must reach each of them); Failure
  // naming each one that was unreachable or refused.
  Outcome<void> tell_every_namesrv(const remoting::RemotingCommand& request);
  // `request` to the broker at `addr`; a non-SUCCESS answer is a Failure.
  Outcome<remoting::RemotingCommand> ask_broker(const std::string& addr, remoting::RemotingCommand request);
  // `request` to the broker at `addr`, whatever the answer's code (pulls,
  // queries and sends judge their own codes). Failure only when unreachable.
  Outcome<remoting::RemotingCommand> exchange(const std::string& addr, remoting::RemotingCommand request);

  // GET_ROUTEINFO_BY_TOPIC (105): decoded, or the body as the namesrv sent it.
  Outcome<remoting::TopicRouteData> route(const std::string& topic);
  Outcome<std::string> route_json(const std::string& topic);
  // GET_BROKER_CLUSTER_INFO (106).
  Outcome<remoting::ClusterInfo> cluster_info();
  // GET_BROKER_RUNTIME_INFO (28): the {"table":{...}} entries.
  Outcome<std::map<std::string, std::string>> broker_runtime_info(const std::string& addr);

  const std::vector<std::string>& namesrv_addrs() const { return namesrvs_; }
  // Closes every connection. Suspends.
  void stop();

 private:
  std::vector<std::string> namesrvs_;
  remoting::RpcClient rpc_;
};

}  // namespace rmq::tools
