// LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) bodies: LockBatchRequestBody
// / UnlockBatchRequestBody {consumerGroup, clientId, onlyThisBroker, mqSet}
// and LockBatchResponseBody {lockOKMQSet}; each queue is {topic, brokerName,
// queueId}. Decoding is lenient as everywhere (numbers as strings, unknown
// fields); a missing group or client id, or a malformed queue, is an
// Errc::invalid_argument naming it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::remoting {

struct LockQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  auto operator<=>(const LockQueue&) const = default;
  std::string key() const { return topic + "@" + broker_name + "@" + std::to_string(queue_id); }
};

struct LockBatchRequest {
  std::string consumer_group;
  std::string client_id;
  bool only_this_broker = false;
  std::vector<LockQueue> mqs;
  bool operator==(const LockBatchRequest&) const = default;
};

rt::Result<LockBatchRequest> decode_lock_batch_request(std::string_view json);
std::string encode_lock_batch_request(const LockBatchRequest& r);

// The queues whose lock the client holds now.
rt::Result<std::vector<LockQueue>> decode_lock_batch_response(std::string_view json);
std::string encode_lock_batch_response(const std::vector<LockQueue>& locked);

}  // namespace rmq::remoting
