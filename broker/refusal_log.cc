#include "broker/refusal_log.h"

#include <fmt/format.h>

#include "remoting/codes.h"

namespace rmq::broker {

namespace rs = remoting::response_code;

bool RefusalLog::refusal(int32_t code) {
  switch (code) {
    case rs::kSuccess:
    case rs::kFlushDiskTimeout:
    case rs::kSlaveNotAvailable:
    case rs::kFlushSlaveTimeout:
    case rs::kPullNotFound:
    case rs::kPullRetryImmediately:
    case rs::kPullOffsetMoved:
    case rs::kQueryNotFound: return false;
    default: return true;
  }
}

void RefusalLog::note(const std::string& peer_address, const remoting::RemotingCommand& request,
                      const remoting::RemotingCommand& answer) {
  if (!refusal(answer.code)) return;
  const std::string host = peer_address.substr(0, peer_address.rfind(':'));
  if (seen_.size() >= kKeysMax) seen_.clear();
  auto [it, fresh] = seen_.try_emplace({host, request.code, answer.code});
  Seen& s = it->second;
  const rt::Instant now = rt_.now();
  if (!fresh && now - s.last_logged < repeat_after_) {
    ++s.since;
    return;
  }
  const std::string again = s.since > 0 ? fmt::format(" ({} more since the last report)", s.since) : std::string();
  rt_.log(rt::LogLevel::warn,
          fmt::format("refused {} ({}) from {}: {} ({}) {}{}", remoting::request_code_name(request.code), request.code,
                      peer_address, remoting::response_code_name(answer.code), answer.code,
                      answer.remark.value_or(""), again));
  s.last_logged = now;
  s.since = 0;
  ++logged_;
}

}  // namespace rmq::broker
