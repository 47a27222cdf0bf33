#include "common/config.h"

#include "common/atomic_file.h"
#include "common/numbers.h"

namespace rmq::common {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace

rt::Result<Properties> Properties::parse(std::string_view text) {
  Properties p;
  size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    const auto sep = line.find_first_of("=:");
    if (sep == std::string_view::npos)
      return rt::Error(rt::Errc::invalid_argument,
                       "line " + std::to_string(line_no) + ": expected key=value, got '" + std::string(line) + "'");
    const auto key = trim(line.substr(0, sep));
    if (key.empty())
      return rt::Error(rt::Errc::invalid_argument, "line " + std::to_string(line_no) + ": empty key");
    p.values_[std::string(key)] = std::string(trim(line.substr(sep + 1)));
  }
  return p;
}

rt::Result<Properties> Properties::load(rt::FileSystem& fs, std::string_view path) {
  auto text = read_file(fs, path, 1 << 20);
  if (!text) return rt::Error(text.code(), "config file " + std::string(path) + ": " + text.error().message());
  auto p = parse(*text);
  if (!p) return rt::Error(p.code(), "config file " + std::string(path) + ": " + p.error().detail());
  return p;
}

rt::Result<void> Properties::apply_overrides(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    const auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos || eq == 2)
      return rt::Error(rt::Errc::invalid_argument, "expected --key=value, got '" + a + "'");
    values_[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  return {};
}

std::string Properties::get_string(std::string_view key, std::string_view fallback) {
  read_.insert(std::string(key));
  auto it = values_.find(std::string(key));
  return it == values_.end() ? std::string(fallback) : it->second;
}

rt::Result<int64_t> Properties::get_int(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  read_.insert(std::string(key));
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return fallback;
  auto v = parse_java_long(it->second);
  if (!v) return rt::Error(rt::Errc::invalid_argument, std::string(key) + ": not an integer: '" + it->second + "'");
  if (*v < min || *v > max)
    return rt::Error(rt::Errc::invalid_argument, std::string(key) + ": " + it->second + " is outside [" +
                                                     std::to_string(min) + ", " + std::to_string(max) + "]");
  return *v;
}

rt::Result<bool> Properties::get_bool(std::string_view key, bool fallback) {
  read_.insert(std::string(key));
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return rt::Error(rt::Errc::invalid_argument, std::string(key) + ": expected true or false, got '" + it->second + "'");
}

std::vector<std::string> Properties::unknown_keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : values_)
    if (!read_.count(k)) out.push_back(k);
  return out;
}

std::vector<std::string> split_address_list(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const size_t semi = list.find(';');
    std::string_view item = list.substr(0, semi);
    list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

}  // namespace rmq::common
