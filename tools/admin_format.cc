#include "tools/admin_format.h"

#include <fmt/format.h>

#include <cstdio>

#include <boost/json.hpp>
#include <chrono>

#include "common/json.h"
#include "common/message_const.h"
#include "common/message_format.h"
#include "runtime/assert.h"
#include "common/numbers.h"
#include "common/zlib_codec.h"
#include "remoting/admin_bodies.h"
#include "remoting/route_data.h"

namespace rmq::tools {

namespace bj = boost::json;

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::add(std::vector<std::string> row) {
  RMQ_ASSERT(row.size() == rows_.front().size());
  rows_.push_back(std::move(row));
}

std::string Table::render() const {
  std::vector<size_t> width(rows_.front().size(), 0);
  for (const auto& row : rows_)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

// Calendar arithmetic only: no clock is read here.
std::string format_time_ms(int64_t wall_ms) {
  using namespace std::chrono;
  if (wall_ms == 0) return "-";
  const sys_time<milliseconds> t{milliseconds{wall_ms}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{t - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

std::optional<int64_t> parse_time_ms(std::string_view text) {
  using namespace std::chrono;
  if (auto ms = common::parse_java_long(text); ms && *ms >= 0) return *ms;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, milli = 0;
  char tail = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d#%2d:%2d:%2d:%3d%c", &y, &mo, &d, &h, &mi, &sec, &milli, &tail) != 7)
    return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0 || milli < 0) return std::nullopt;
  const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + milliseconds{milli};
  return t.time_since_epoch().count();
}

int64_t ms_since_month_start(int64_t wall_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{wall_ms}};
  const year_month_day ymd{floor<days>(t)};
  const sys_days month_start{ymd.year() / ymd.month() / 1};
  return duration_cast<milliseconds>(t - month_start).count();
}

namespace {

void pretty(const bj::value& v, int depth, std::string& out) {
  const std::string indent(static_cast<size_t>(depth + 1) * 2, ' ');
  const std::string closing(static_cast<size_t>(depth) * 2, ' ');
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    size_t i = 0;
    for (const auto& kv : o) {
      out += indent + json::serialize(bj::value(kv.key())) + ": ";
      pretty(kv.value(), depth + 1, out);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    out += closing + "}";
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      out += indent;
      pretty(a[i], depth + 1, out);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    out += closing + "]";
  } else {
    out += json::serialize(v);
  }
}

// Length of the UTF-8 sequence starting at s[i], 0 when it is not one.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  return n;
}

}  // namespace

std::string pretty_json(std::string_view json) {
  auto v = json::parse_lenient(json);
  if (!v) return std::string(json);
  std::string out;
  pretty(*v, 0, out);
  return out;
}

std::string body_text(std::span<const std::byte> body) {
  const std::string_view s(reinterpret_cast<const char*>(body.data()), body.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') return fmt::format("<{} bytes, not printable>", s.size());
    if (b == 0x7F) return fmt::format("<{} bytes, not printable>", s.size());
    const size_t n = utf8_length(s, i);
    if (n == 0) return fmt::format("<{} bytes, not printable>", s.size());
    i += n;
  }
  return std::string(s);
}

std::string properties_text(std::string_view encoded) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : common::decode_properties(encoded)) {
    out += (first ? "" : ", ") + k + "=" + v;
    first = false;
  }
  return out + "}";
}

std::string message_detail(const common::StoredMessage& m) {
  using remoting::message_id;
  using remoting::property;
  using remoting::stored_offset_msg_id;
  std::string out;
  auto line = [&](const char* name, const std::string& value) { out += fmt::format("{:<20}{}\n", name, value); };
  line("OffsetID:", stored_offset_msg_id(m));
  line("MsgId:", message_id(m));
  line("Topic:", m.topic);
  line("Tags:", "[" + property(m, common::kPropTags) + "]");
  line("Keys:", "[" + property(m, common::kPropKeys) + "]");
  line("Queue ID:", std::to_string(m.queue_id));
  line("Queue Offset:", std::to_string(m.queue_offset));
  line("CommitLog Offset:", std::to_string(m.physical_offset));
  line("Reconsume Times:", std::to_string(m.reconsume_times));
  line("Born Timestamp:", format_time_ms(m.born_timestamp));
  line("Store Timestamp:", format_time_ms(m.store_timestamp));
  line("Born Host:", common::to_string(m.born_host));
  line("Store Host:", common::to_string(m.store_host));
  line("System Flag:", std::to_string(m.sys_flag));
  line("Properties:", properties_text(m.properties));
  if ((m.sys_flag & common::kSysFlagCompressed) != 0) {
    // As a consumer sees it: inflated (the stored bytes are zlib).
    auto inflated = common::inflate_bounded(m.body, remoting::kMaxInflatedBodyBytes);
    line("Message Body:", inflated ? body_text(std::as_bytes(std::span(*inflated)))
                                   : fmt::format("<{} compressed bytes that do not inflate: {}>", m.body.size(),
                                                 inflated.error().message()));
  } else {
    line("Message Body:", body_text(m.body));
  }
  return out;
}

}  // namespace rmq::tools
