// The admin API (RocketMQ's MQAdminExt) on top of a client instance: what
// rmq-admin and any operator's program use to ask namesrvs and brokers.
//
//   client::MqClient mq(rt, cfg);            // namesrvs, timeouts
//   client::Admin admin(mq);
//   auto info = admin.cluster_info();        // AdminResult<ClusterInfo>
//   if (!info) puts(info.error().message.c_str());
//
// Namesrv requests go to each namesrv in turn, the one that answered last
// first, until one answers; requests to brokers go over the instance's
// connections. Every failure is an AdminError whose message names the
// address and, for a RocketMQ error answer, the response code's name,
// number and remark:
//
//   namesrv 127.0.0.1:9876 answered TOPIC_NOT_EXIST (17): No topic route ...
//   cannot reach broker 127.0.0.1:10911 (refused)
//
// Each call suspends; use from one task of the client's runtime.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "client/mq_client.h"
#include "remoting/command.h"
#include "remoting/route_data.h"

namespace rmq::client {

struct AdminError {
  enum class Kind { usage, unreachable, refused, undecodable };
  Kind kind = Kind::refused;
  std::string message;
  int32_t response_code = 0;  // of the error answer, when that is what failed
};

inline AdminError usage_error(std::string message) { return {AdminError::Kind::usage, std::move(message), 0}; }
inline AdminError admin_error(std::string message) { return {AdminError::Kind::refused, std::move(message), 0}; }

// A value or an AdminError.
template <class T>
class [[nodiscard]] AdminResult {
 public:
  AdminResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  AdminResult(AdminError e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const AdminError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, AdminError> v_;
};

template <>
class [[nodiscard]] AdminResult<void> {
 public:
  AdminResult() = default;
  AdminResult(AdminError e) : e_(std::move(e)) {}
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const AdminError& error() const { return *e_; }

 private:
  std::optional<AdminError> e_;
};

// "TOPIC_NOT_EXIST (17): <remark>".
std::string describe_code(const remoting::RemotingCommand& response);
// "broker 127.0.0.1:10911 answered TOPIC_NOT_EXIST (17): <remark>", the code kept.
AdminError answered(std::string_view role, const std::string& addr, const remoting::RemotingCommand& response);
// "the <what> of broker 127.0.0.1:10911 does not decode: <detail>".
AdminError undecodable(std::string_view what, const std::string& addr, const rt::Error& e);

class Admin {
 public:
  explicit Admin(MqClient& client) : client_(client) {}

  MqClient& client() { return client_; }

  // `request` to the namesrvs until one answers; a non-SUCCESS answer is an
  // error (the others are not asked: they would answer the same).
  AdminResult<remoting::RemotingCommand> ask_namesrv(const remoting::RemotingCommand& request);
  // `request` to every namesrv (updates must reach each); an error naming
  // each one that was unreachable or refused.
  AdminResult<void> tell_every_namesrv(const remoting::RemotingCommand& request);
  // `request` to each namesrv in turn, every answer kept (a non-SUCCESS one
  // as an error), for commands that report per namesrv.
  std::vector<std::pair<std::string, AdminResult<remoting::RemotingCommand>>> ask_each_namesrv(
      const remoting::RemotingCommand& request);
  // `request` to the broker at `addr`; a non-SUCCESS answer is an error.
  AdminResult<remoting::RemotingCommand> ask_broker(const std::string& addr, remoting::RemotingCommand request);
  // `request` to the broker at `addr`, whatever the answer's code (pulls,
  // queries and sends judge their own codes). An error only when unreachable.
  AdminResult<remoting::RemotingCommand> exchange(const std::string& addr, remoting::RemotingCommand request);

  // GET_ROUTEINFO_BY_TOPIC (105): decoded, or the body as the namesrv sent it.
  AdminResult<remoting::TopicRouteData> route(const std::string& topic);
  AdminResult<std::string> route_json(const std::string& topic);
  // GET_BROKER_CLUSTER_INFO (106).
  AdminResult<remoting::ClusterInfo> cluster_info();
  // GET_BROKER_RUNTIME_INFO (28): the {"table":{...}} entries.
  AdminResult<std::map<std::string, std::string>> broker_runtime_info(const std::string& addr);

 private:
  rt::Duration timeout() const { return client_.config().rpc_timeout; }
  AdminError unreachable(std::string_view role, const std::string& addr, const rt::Error& e) const;

  MqClient& client_;
  size_t namesrv_next_ = 0;  // the namesrv that answered last
};

}  // namespace rmq::client
