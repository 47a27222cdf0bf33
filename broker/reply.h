// Small helpers the broker's processors share for their answers.
#pragma once

#include <string>
#include <string_view>

#include "remoting/command.h"

namespace rmq::broker {

// An answer to `req` with `code` and a remark saying why.
inline remoting::RemotingCommand error_reply(const remoting::RemotingCommand& req, int32_t code, std::string remark) {
  return remoting::RemotingCommand::response_to(req, code, std::move(remark));
}

// A request's or answer's body as text (JSON bodies).
inline std::string_view body_text(const remoting::RemotingCommand& c) {
  return {reinterpret_cast<const char*>(c.body.data()), c.body.size()};
}

}  // namespace rmq::broker
