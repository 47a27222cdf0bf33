#include "client/admin.h"

#include <fmt/format.h>

#include "remoting/admin_bodies.h"
#include "remoting/codes.h"
#include "remoting/headers_namesrv.h"

namespace rmq::client {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {

// The lower layers' detail repeats the address; the code says what happened.
std::string why_unreachable(const rt::Error& e) { return std::string(rt::to_string(e.code())); }

std::string body_text(const RemotingCommand& resp) { return std::string(remoting::to_text(resp.body)); }

}  // namespace

std::string describe_code(const RemotingCommand& response) {
  std::string out = fmt::format("{} ({})", remoting::response_code_name(response.code), response.code);
  if (response.remark && !response.remark->empty()) out += ": " + *response.remark;
  return out;
}

AdminError answered(std::string_view role, const std::string& addr, const RemotingCommand& response) {
  AdminError e = admin_error(fmt::format("{} {} answered {}", role, addr, describe_code(response)));
  e.response_code = response.code;
  return e;
}

AdminError undecodable(std::string_view what, const std::string& addr, const rt::Error& e) {
  return {AdminError::Kind::undecodable, fmt::format("the {} of broker {} does not decode: {}", what, addr, e.detail()),
          0};
}

AdminError Admin::unreachable(std::string_view role, const std::string& addr, const rt::Error& e) const {
  if (e.code() == rt::Errc::timeout)
    return {AdminError::Kind::unreachable,
            fmt::format("{} {} did not answer within {} s", role, addr,
                        std::chrono::duration_cast<std::chrono::seconds>(timeout()).count()),
            0};
  return {AdminError::Kind::unreachable, fmt::format("cannot reach {} {} ({})", role, addr, why_unreachable(e)), 0};
}

AdminResult<RemotingCommand> Admin::ask_namesrv(const RemotingCommand& request) {
  const auto& namesrvs = client_.config().namesrv_addrs;
  if (namesrvs.empty()) return usage_error("no namesrv address: give -n or set NAMESRV_ADDR");
  std::string problems;
  for (size_t i = 0; i < namesrvs.size(); ++i) {
    const size_t n = (namesrv_next_ + i) % namesrvs.size();
    const std::string& addr = namesrvs[n];
    auto resp = client_.rpc().invoke(addr, request, timeout());
    if (!resp) {
      if (namesrvs.size() == 1) return unreachable("namesrv", addr, resp.error());
      problems += fmt::format("{}{} ({})", problems.empty() ? "" : ", ", addr, why_unreachable(resp.error()));
      continue;
    }
    namesrv_next_ = n;
    if (resp->code != rs::kSuccess) return answered("namesrv", addr, *resp);
    return std::move(*resp);
  }
  return AdminError{AdminError::Kind::unreachable, "no namesrv answered: " + problems, 0};
}

AdminResult<void> Admin::tell_every_namesrv(const RemotingCommand& request) {
  const auto& namesrvs = client_.config().namesrv_addrs;
  if (namesrvs.empty()) return usage_error("no namesrv address: give -n or set NAMESRV_ADDR");
  std::string problems;
  for (const auto& addr : namesrvs) {
    auto resp = client_.rpc().invoke(addr, request, timeout());
    std::string problem;
    if (!resp) {
      problem = unreachable("namesrv", addr, resp.error()).message;
    } else if (resp->code != rs::kSuccess) {
      problem = answered("namesrv", addr, *resp).message;
    }
    if (!problem.empty()) problems += (problems.empty() ? "" : "; ") + problem;
  }
  if (!problems.empty()) return admin_error(problems);
  return {};
}

std::vector<std::pair<std::string, AdminResult<RemotingCommand>>> Admin::ask_each_namesrv(
    const RemotingCommand& request) {
  std::vector<std::pair<std::string, AdminResult<RemotingCommand>>> out;
  for (const auto& addr : client_.config().namesrv_addrs) {
    auto resp = client_.rpc().invoke(addr, request, timeout());
    if (!resp)
      out.emplace_back(addr, unreachable("namesrv", addr, resp.error()));
    else if (resp->code != rs::kSuccess)
      out.emplace_back(addr, answered("namesrv", addr, *resp));
    else
      out.emplace_back(addr, std::move(*resp));
  }
  return out;
}

AdminResult<RemotingCommand> Admin::exchange(const std::string& addr, RemotingCommand request) {
  auto resp = client_.invoke(addr, std::move(request), timeout());
  if (!resp) return unreachable("broker", addr, resp.error());
  return std::move(*resp);
}

AdminResult<RemotingCommand> Admin::ask_broker(const std::string& addr, RemotingCommand request) {
  auto resp = exchange(addr, std::move(request));
  if (!resp) return resp;
  if (resp->code != rs::kSuccess) return answered("broker", addr, *resp);
  return resp;
}

AdminResult<std::string> Admin::route_json(const std::string& topic) {
  auto req = RemotingCommand::request(rc::kGetRouteinfoByTopic);
  remoting::GetRouteInfoRequestHeader h;
  h.topic = topic;
  h.encode(req);
  auto resp = ask_namesrv(req);
  if (!resp) return resp.error();
  return body_text(*resp);
}

AdminResult<remoting::TopicRouteData> Admin::route(const std::string& topic) {
  auto text = route_json(topic);
  if (!text) return text.error();
  auto r = remoting::decode_topic_route(*text);
  if (!r) return AdminError{AdminError::Kind::undecodable,
                            fmt::format("the route of {} does not decode: {}", topic, r.error().detail()), 0};
  return std::move(*r);
}

AdminResult<remoting::ClusterInfo> Admin::cluster_info() {
  auto resp = ask_namesrv(RemotingCommand::request(rc::kGetBrokerClusterInfo));
  if (!resp) return resp.error();
  auto c = remoting::decode_cluster_info(body_text(*resp));
  if (!c) return AdminError{AdminError::Kind::undecodable, "the cluster info does not decode: " + c.error().detail(), 0};
  return std::move(*c);
}

AdminResult<std::map<std::string, std::string>> Admin::broker_runtime_info(const std::string& addr) {
  auto resp = ask_broker(addr, RemotingCommand::request(rc::kGetBrokerRuntimeInfo));
  if (!resp) return resp.error();
  auto t = remoting::decode_kv_table(body_text(*resp));
  if (!t) return undecodable("runtime info", addr, t.error());
  return std::move(*t);
}

}  // namespace rmq::client
