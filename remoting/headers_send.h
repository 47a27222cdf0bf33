// SEND_MESSAGE (10, long field names), SEND_MESSAGE_V2 (310) and
// SEND_BATCH_MESSAGE (320, single-letter names) — reference 3.2. One struct
// serves all three; decode() reads whichever naming the code uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

struct SendMessageRequestHeader {
  std::string producer_group;          // a
  std::string topic;                   // b
  std::string default_topic;           // c  (TBW102)
  int32_t default_topic_queue_nums = 4;  // d
  int32_t queue_id = 0;                // e  (negative: broker picks)
  int32_t sys_flag = 0;                // f
  int64_t born_timestamp = 0;          // g
  int32_t flag = 0;                    // h
  std::optional<std::string> properties;  // i
  std::optional<int32_t> reconsume_times;       // j
  std::optional<bool> unit_mode;                // k
  std::optional<int32_t> max_reconsume_times;   // l
  std::optional<bool> batch;                    // m
  std::optional<std::string> broker_name;       // n (5.x)

  // Reads the V2 single-letter names for codes 310/320, the long names
  // otherwise.
  static rt::Result<SendMessageRequestHeader> decode(const RemotingCommand& c);
  // Writes V2 names when `v2`, long names otherwise.
  void encode(RemotingCommand& c, bool v2) const;
};

struct SendMessageResponseHeader {
  std::string msg_id;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  std::optional<std::string> transaction_id;
  std::string region_id = "DefaultRegion";  // MSG_REGION, always set
  bool trace_on = true;                     // TRACE_ON, always set

  static rt::Result<SendMessageResponseHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

}  // namespace rmq::remoting
