#include "remoting/request_metrics.h"

#include <string>

namespace rmq::remoting {

namespace {
const char* const kFamily = "rocketmq_rpc_latency";
}  // namespace

RequestMetrics::RequestMetrics(common::metrics::Registry& r) : registry_(r) {
  registry_.declare(kFamily, common::metrics::Kind::histogram, "Milliseconds from a request's arrival to its answer.",
                    {1, 3, 5, 10, 100, 1000, 3000});
}

void RequestMetrics::on_request(int32_t request_code, int32_t response_code, rt::Duration took) {
  auto& h = by_code_[{request_code, response_code}];
  if (h == nullptr)
    h = &registry_.histogram(kFamily, {{"protocol_type", "remoting"},
                                       {"request_code", std::to_string(request_code)},
                                       {"response_code", std::to_string(response_code)}});
  h->observe(std::chrono::duration<double, std::milli>(took).count());
}

Processor RequestMetrics::timed(rt::Runtime& rt, Processor p) {
  return [this, &rt, p = std::move(p)](Connection& from, RemotingCommand& req) {
    const rt::Instant arrived = rt.now();
    const int32_t code = req.code;
    std::optional<RemotingCommand> reply = p(from, req);
    on_request(code, reply ? reply->code : -1, rt.now() - arrived);
    return reply;
  };
}

}  // namespace rmq::remoting
