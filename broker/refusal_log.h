// Refused requests in the broker's log: every answer that refuses a request
// (any code but success, the "stored, but" codes 10-12 and the pull and
// query outcomes 19-22) is logged at WARN with the client's address, the
// request, the code and the remark — once per client host, request code and
// response code, then at most once per `repeat_after` with the number of
// refusals in between, so a client retrying in a loop cannot flood the log.
// Bounded: past `kKeysMax` distinct keys the table starts over.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::broker {

class RefusalLog {
 public:
  static constexpr size_t kKeysMax = 4096;
  explicit RefusalLog(rt::Runtime& rt, rt::Duration repeat_after = std::chrono::minutes(10))
      : rt_(rt), repeat_after_(repeat_after) {}

  // Whether `code` answers a request without doing what it asked.
  static bool refusal(int32_t code);
  // Looks at one answer; logs it if it is a refusal not logged lately.
  void note(const std::string& peer_address, const remoting::RemotingCommand& request,
            const remoting::RemotingCommand& answer);
  int64_t logged() const { return logged_; }

 private:
  struct Seen {
    rt::Instant last_logged{};
    int64_t since = 0;  // refusals not logged since
  };
  rt::Runtime& rt_;
  rt::Duration repeat_after_;
  std::map<std::tuple<std::string, int32_t, int32_t>, Seen> seen_;
  int64_t logged_ = 0;
};

}  // namespace rmq::broker
