// Reading and writing typed headers as extFields (reference section 3.0).
//
// A typed header struct decodes with a FieldReader: each req_* records a
// missing or malformed required field instead of failing at once, and
// finish() turns the first problem into an error the server answers with
// SYSTEM_ERROR. opt_* return nullopt when absent. Numbers parse as Java's
// parseInt/parseLong would (decimal, optional sign, range-checked); booleans
// as Boolean.parseBoolean (only case-insensitive "true" is true).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/numbers.h"
#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

using common::parse_java_bool;
using common::parse_java_int;
using common::parse_java_long;

class FieldReader {
 public:
  explicit FieldReader(const RemotingCommand& cmd) : cmd_(cmd) {}

  std::string req_string(std::string_view name);
  int64_t req_int64(std::string_view name);
  int32_t req_int32(std::string_view name);
  bool req_bool(std::string_view name);

  std::optional<std::string> opt_string(std::string_view name) const;
  std::optional<int64_t> opt_int64(std::string_view name);
  std::optional<int32_t> opt_int32(std::string_view name);
  std::optional<bool> opt_bool(std::string_view name) const;

  // Ok, or Errc::invalid_argument "missing required header field 'topic'" /
  // "header field 'queueId' is not an integer: 'x'".
  rt::Result<void> finish() const;
  // `header` if every field read well, else the first problem.
  template <class T>
  rt::Result<T> finish(T header) const {
    if (auto ok = finish(); !ok) return ok.error();
    return header;
  }

 private:
  void problem(std::string what);
  const RemotingCommand& cmd_;
  std::optional<std::string> problem_;
};

// Writers: every value is stored as text.
inline void put_field(RemotingCommand& c, std::string_view name, std::string value) {
  c.ext_fields[name] = std::move(value);
}
inline void put_field(RemotingCommand& c, std::string_view name, const char* value) {
  c.ext_fields[name] = value;
}
inline void put_field(RemotingCommand& c, std::string_view name, int64_t value) {
  c.ext_fields[name] = std::to_string(value);
}
inline void put_field(RemotingCommand& c, std::string_view name, int32_t value) {
  c.ext_fields[name] = std::to_string(value);
}
inline void put_field(RemotingCommand& c, std::string_view name, bool value) {
  c.ext_fields[name] = value ? "true" : "false";
}
template <class T>
void put_field(RemotingCommand& c, std::string_view name, const std::optional<T>& value) {
  if (value) put_field(c, name, *value);
}

}  // namespace rmq::remoting
