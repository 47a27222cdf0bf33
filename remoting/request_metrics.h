// rocketmq_rpc_latency{protocol_type="remoting", request_code, response_code}:
// milliseconds from a request's arrival to its answer (a held pull's hold
// included), in RocketMQ's buckets; its _count is the requests served by
// code and answer (response_code -1: none sent, a oneway request). Shared by
// the broker and the namesrv; one runtime's tasks use it.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

#include "common/metrics.h"
#include "remoting/rpc.h"

namespace rmq::remoting {

class RequestMetrics {
 public:
  explicit RequestMetrics(common::metrics::Registry& r);

  void on_request(int32_t request_code, int32_t response_code, rt::Duration took);
  // `p`, timed.
  Processor timed(rt::Runtime& rt, Processor p);

 private:
  common::metrics::Registry& registry_;
  std::map<std::pair<int32_t, int32_t>, common::metrics::Histogram*> by_code_;
};

}  // namespace rmq::remoting
