#include "remoting/header_fields.h"


namespace rmq::remoting {

void FieldReader::problem(std::string what) {
  if (!problem_) problem_ = std::move(what);
}

std::string FieldReader::req_string(std::string_view name) {
  auto v = cmd_.field(name);
  if (!v) {
    problem("missing required header field '" + std::string(name) + "'");
    return {};
  }
  return std::string(*v);
}

int64_t FieldReader::req_int64(std::string_view name) {
  auto v = cmd_.field(name);
  if (!v) {
    problem("missing required header field '" + std::string(name) + "'");
    return 0;
  }
  auto n = parse_java_long(*v);
  if (!n) {
    problem("header field '" + std::string(name) + "' is not an integer: '" + std::string(*v) + "'");
    return 0;
  }
  return *n;
}

int32_t FieldReader::req_int32(std::string_view name) {
  auto v = cmd_.field(name);
  if (!v) {
    problem("missing required header field '" + std::string(name) + "'");
    return 0;
  }
  auto n = parse_java_int(*v);
  if (!n) {
    problem("header field '" + std::string(name) + "' is not a 32-bit integer: '" + std::string(*v) + "'");
    return 0;
  }
  return *n;
}

bool FieldReader::req_bool(std::string_view name) {
  auto v = cmd_.field(name);
  if (!v) {
    problem("missing required header field '" + std::string(name) + "'");
    return false;
  }
  return parse_java_bool(*v);
}

std::optional<std::string> FieldReader::opt_string(std::string_view name) const {
  auto v = cmd_.field(name);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<int64_t> FieldReader::opt_int64(std::string_view name) {
  auto v = cmd_.field(name);
  if (!v) return std::nullopt;
  auto n = parse_java_long(*v);
  if (!n) problem("header field '" + std::string(name) + "' is not an integer: '" + std::string(*v) + "'");
  return n;
}

std::optional<int32_t> FieldReader::opt_int32(std::string_view name) {
  auto v = cmd_.field(name);
  if (!v) return std::nullopt;
  auto n = parse_java_int(*v);
  if (!n) problem("header field '" + std::string(name) + "' is not a 32-bit integer: '" + std::string(*v) + "'");
  return n;
}

std::optional<bool> FieldReader::opt_bool(std::string_view name) const {
  auto v = cmd_.field(name);
  if (!v) return std::nullopt;
  return parse_java_bool(*v);
}

rt::Result<void> FieldReader::finish() const {
  if (problem_) return rt::Error(rt::Errc::invalid_argument, *problem_);
  return {};
}

}  // namespace rmq::remoting
