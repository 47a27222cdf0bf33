// How rmq-admin prints: aligned tables, times, JSON and message bodies.
// Pure functions; the caller writes the text to stdout. tools/ only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_format.h"

namespace rmq::tools {

// Columns left-aligned, two spaces apart, no trailing blanks:
//   #Broker Name  #QID  #Min Offset
//   broker-a      0     0
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  // REQUIRES: row has as many cells as the header.
  void add(std::vector<std::string> row);
  size_t rows() const { return rows_.size() - 1; }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// "2026-11-25 10:00:00.123" (UTC); "-" for 0 (never).
std::string format_time_ms(int64_t wall_ms);

// mqadmin's time arguments: milliseconds since the epoch, or
// "yyyy-MM-dd#HH:mm:ss:SSS" (UTC here; Java takes local time).
std::optional<int64_t> parse_time_ms(std::string_view text);

// Milliseconds since 00:00 UTC on the first day of the month of `wall_ms`
// (what a client msgId carries; Java takes the local month).
int64_t ms_since_month_start(int64_t wall_ms);

// JSON text, re-indented by two spaces per level; the text itself when it
// does not parse.
std::string pretty_json(std::string_view json);

// The body as text when it is valid UTF-8 without control characters other
// than tab and newlines; otherwise "<N bytes, not printable>".
std::string body_text(std::span<const std::byte> body);

// The properties string as {K=V, K=V} (sorted by key); U+0001/U+0002 never
// appear in the output.
std::string properties_text(std::string_view encoded);

// Everything about one message, a "Name:  value" line each (offset and
// client msgId, topic, tags, keys, queue, offsets, times, hosts, flags,
// properties, body).
std::string message_detail(const common::StoredMessage& m);

}  // namespace rmq::tools
