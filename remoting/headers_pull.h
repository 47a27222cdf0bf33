// PULL_MESSAGE (11) — reference 3.3 and 8.7.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// PullSysFlag bits.
inline constexpr int32_t kPullCommitOffset = 0x1;
inline constexpr int32_t kPullSuspend = 0x2;
inline constexpr int32_t kPullSubscription = 0x4;
inline constexpr int32_t kPullClassFilter = 0x8;
inline constexpr int32_t kPullLitePull = 0x10;

struct PullMessageRequestHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int32_t max_msg_nums = 32;
  int32_t sys_flag = 0;
  int64_t commit_offset = 0;
  int64_t suspend_timeout_millis = 15000;
  std::optional<std::string> subscription;
  int64_t sub_version = 0;
  std::optional<std::string> expression_type;  // TAG (default) or SQL92
  std::optional<int32_t> max_msg_bytes;        // 5.x

  static rt::Result<PullMessageRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// All four offsets are required by Java clients in every 0/19/20/21 answer.
struct PullMessageResponseHeader {
  int64_t suggest_which_broker_id = 0;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;

  static rt::Result<PullMessageResponseHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

}  // namespace rmq::remoting
