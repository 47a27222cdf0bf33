#include "tools/admin_client.h"

#include <fmt/format.h>

#include "remoting/codes.h"
#include "remoting/headers_namesrv.h"
#include "tools/admin_data.h"

namespace rmq::tools {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {

remoting::ClientOptions client_options() {
  remoting::ClientOptions o;
  o.connect_timeout = kCallTimeout;
  return o;
}

// The lower layers' detail repeats the address; the code says what happened.
std::string why_unreachable(const rt::Error& e) { return std::string(rt::to_string(e.code())); }

Failure unreachable(std::string_view role, const std::string& addr, const rt::Error& e) {
  if (e.code() == rt::Errc::timeout)
    return failure(fmt::format("{} {} did not answer within {} s", role, addr,
                               std::chrono::duration_cast<std::chrono::seconds>(kCallTimeout).count()));
  return failure(fmt::format("cannot reach {} {} ({})", role, addr, why_unreachable(e)));
}

std::string body_text(const RemotingCommand& resp) { return std::string(remoting::to_text(resp.body)); }

}  // namespace

std::string describe_code(const RemotingCommand& response) {
  std::string out = fmt::format("{} ({})", remoting::response_code_name(response.code), response.code);
  if (response.remark && !response.remark->empty()) out += ": " + *response.remark;
  return out;
}

Failure answered(std::string_view role, const std::string& addr, const RemotingCommand& response) {
  Failure f = failure(fmt::format("{} {} answered {}", role, addr, describe_code(response)));
  f.response_code = response.code;
  return f;
}

Failure undecodable(std::string_view what, const std::string& addr, const rt::Error& e) {
  return failure(fmt::format("the {} of broker {} does not decode: {}", what, addr, e.detail()));
}

AdminClient::AdminClient(rt::Runtime& rt, std::vector<std::string> namesrv_addrs)
    : namesrvs_(std::move(namesrv_addrs)), rpc_(rt, nullptr, client_options()) {}

AdminClient::~AdminClient() = default;

void AdminClient::stop() { rpc_.stop(); }

Outcome<RemotingCommand> AdminClient::ask_namesrv(const RemotingCommand& request) {
  if (namesrvs_.empty()) return usage_failure("no namesrv address: give -n or set NAMESRV_ADDR");
  std::string problems;
  for (const auto& addr : namesrvs_) {
    auto resp = rpc_.invoke(addr, request, kCallTimeout);
    if (!resp) {
      if (namesrvs_.size() == 1) return unreachable("namesrv", addr, resp.error());
      problems += fmt::format("{}{} ({})", problems.empty() ? "" : ", ", addr, why_unreachable(resp.error()));
      continue;
    }
    if (resp->code != rs::kSuccess) return answered("namesrv", addr, *resp);
    return std::move(*resp);
  }
  return failure("no namesrv answered: " + problems);
}

Outcome<void> AdminClient::tell_every_namesrv(const RemotingCommand& request) {
  if (namesrvs_.empty()) return usage_failure("no namesrv address: give -n or set NAMESRV_ADDR");
  std::string problems;
  for (const auto& addr : namesrvs_) {
    auto resp = rpc_.invoke(addr, request, kCallTimeout);
    std::string problem;
    if (!resp) {
      problem = unreachable("namesrv", addr, resp.error()).message;
    } else if (resp->code != rs::kSuccess) {
      problem = answered("namesrv", addr, *resp).message;
    }
    if (!problem.empty()) problems += (problems.empty() ? "" : "; ") + problem;
  }
  if (!problems.empty()) return failure(problems);
  return {};
}

Outcome<RemotingCommand> AdminClient::exchange(const std::string& addr, RemotingCommand request) {
  auto resp = rpc_.invoke(addr, std::move(request), kCallTimeout);
  if (!resp) return unreachable("broker", addr, resp.error());
  return std::move(*resp);
}

Outcome<RemotingCommand> AdminClient::ask_broker(const std::string& addr, RemotingCommand request) {
  auto resp = exchange(addr, std::move(request));
  if (!resp) return resp;
  if (resp->code != rs::kSuccess) return answered("broker", addr, *resp);
  return resp;
}

Outcome<std::string> AdminClient::route_json(const std::string& topic) {
  auto req = RemotingCommand::request(rc::kGetRouteinfoByTopic);
  remoting::GetRouteInfoRequestHeader h;
  h.topic = topic;
  h.encode(req);
  auto resp = ask_namesrv(req);
  if (!resp) return resp.failure();
  return body_text(*resp);
}

Outcome<remoting::TopicRouteData> AdminClient::route(const std::string& topic) {
  auto text = route_json(topic);
  if (!text) return text.failure();
  auto r = remoting::decode_topic_route(*text);
  if (!r) return failure(fmt::format("the route of {} does not decode: {}", topic, r.error().detail()));
  return std::move(*r);
}

Outcome<remoting::ClusterInfo> AdminClient::cluster_info() {
  auto resp = ask_namesrv(RemotingCommand::request(rc::kGetBrokerClusterInfo));
  if (!resp) return resp.failure();
  auto c = remoting::decode_cluster_info(body_text(*resp));
  if (!c) return failure("the cluster info does not decode: " + c.error().detail());
  return std::move(*c);
}

Outcome<std::map<std::string, std::string>> AdminClient::broker_runtime_info(const std::string& addr) {
  auto resp = ask_broker(addr, RemotingCommand::request(rc::kGetBrokerRuntimeInfo));
  if (!resp) return resp.failure();
  auto t = decode_kv_table(body_text(*resp));
  if (!t) return undecodable("runtime info", addr, t.error());
  return std::move(*t);
}

}  // namespace rmq::tools
