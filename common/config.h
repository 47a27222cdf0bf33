// RocketMQ-style properties files ("key=value" lines, '#' or '!' comments)
// and typed access that names the key in every error.
//
//   auto props = common::Properties::parse(text);     // or load(fs, path)
//   props.apply_overrides({"--listenPort=9877"});     // command line wins
//   int64_t port = props.get_int("listenPort", 9876).value();
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::common {

class Properties {
 public:
  // Errc::invalid_argument naming the line for a line without '=' or ':'.
  static rt::Result<Properties> parse(std::string_view text);
  static rt::Result<Properties> load(rt::FileSystem& fs, std::string_view path);

  // "--key=value" arguments; anything else is an error naming it.
  rt::Result<void> apply_overrides(const std::vector<std::string>& args);
  void set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }

  bool has(std::string_view key) const { return values_.count(std::string(key)) != 0; }
  std::string get_string(std::string_view key, std::string_view fallback);
  rt::Result<int64_t> get_int(std::string_view key, int64_t fallback, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  rt::Result<bool> get_bool(std::string_view key, bool fallback);

  // Keys present but never read by a getter: the caller warns about them.
  std::vector<std::string> unknown_keys() const;
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> read_;
};

// A "host:port;host:port" list (namesrvAddr) split on ';', blanks around
// entries dropped, empty entries skipped.
std::vector<std::string> split_address_list(std::string_view list);

}  // namespace rmq::common
