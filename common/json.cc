#include "common/json.h"
#include "common/json_text.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "common/numbers.h"

namespace rmq::json {

namespace bj = boost::json;

namespace {

// Keys fastjson writes unquoted for Map<Integer|Long,...>: -?[0-9]+.
bool is_bare_numeric_key(std::string_view k) {
  if (!k.empty() && k.front() == '-') k.remove_prefix(1);
  if (k.empty()) return false;
  for (char c : k) {
    if (!is_digit(c)) return false;
  }
  return true;
}

template <class Int>
void write_int(std::string& out, Int v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Java's Double.toString, which fastjson follows: plain decimal with at least
// one fractional digit for 1e-3 <= |d| < 1e7 ("0.0", "1.5", "100.0"),
// otherwise "d.dddE[-]n" ("1.0E10", "1.5E-5"). Digits are the shortest that
// read back as the same double. Non-finite values have no JSON form: null.
void write_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out.append("null");
    return;
  }
  if (d == 0) {
    out.append(std::signbit(d) ? "-0.0" : "0.0");
    return;
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  RMQ_ASSERT(r.ec == std::errc());
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));  // "-1.2345e+06"
  size_t e_pos = sci.find('e');
  RMQ_ASSERT(e_pos != std::string_view::npos);
  int exp10 = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  auto er = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  RMQ_ASSERT(er.ec == std::errc());
  std::string digits;  // mantissa digits without sign and point
  for (char c : sci.substr(0, e_pos)) {
    if (is_digit(c)) digits.push_back(c);
  }
  if (d < 0) out.push_back('-');
  double a = std::fabs(d);
  if (a >= 1e-3 && a < 1e7) {
    if (exp10 >= 0) {
      auto int_len = static_cast<size_t>(exp10) + 1;
      if (digits.size() < int_len) digits.append(int_len - digits.size(), '0');
      out.append(digits, 0, int_len);
      out.push_back('.');
      out.append(digits.size() > int_len ? digits.substr(int_len) : std::string("0"));
    } else {
      out.append("0.");
      out.append(static_cast<size_t>(-exp10 - 1), '0');
      out.append(digits);
    }
    return;
  }
  out.push_back(digits[0]);
  out.push_back('.');
  out.append(digits.size() > 1 ? digits.substr(1) : std::string("0"));
  out.push_back('E');
  write_int(out, exp10);
}

void write_scalar(std::string& out, const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null: out.append("null"); return;
    case bj::kind::bool_: out.append(v.get_bool() ? "true" : "false"); return;
    case bj::kind::int64: write_int(out, v.get_int64()); return;
    case bj::kind::uint64: write_int(out, v.get_uint64()); return;
    case bj::kind::double_: write_double(out, v.get_double()); return;
    case bj::kind::string: append_quoted(out, v.get_string()); return;
    case bj::kind::array:
    case bj::kind::object: break;
  }
  RMQ_UNREACHABLE("write_scalar on a container");
}

// ---- parsing ------------------------------------------------------------------

// Whether a JSON number (grammar already checked) lies below the smallest
// double: the decimal exponent of its first significant digit is negative
// and beyond what from_chars can represent. Decides underflow vs overflow
// after from_chars reports out of range.
bool underflows(std::string_view num) {
  size_t i = num.front() == '-' ? 1 : 0;
  size_t int_start = i;
  while (i < num.size() && is_digit(num[i])) ++i;
  std::string_view int_part = num.substr(int_start, i - int_start);
  std::string_view frac_part;
  if (i < num.size() && num[i] == '.') {
    size_t frac_start = ++i;
    while (i < num.size() && is_digit(num[i])) ++i;
    frac_part = num.substr(frac_start, i - frac_start);
  }
  int64_t exp10 = 0;  // saturates; only its sign relative to the digits matters
  if (i < num.size()) {
    ++i;  // 'e' or 'E'
    bool negative = num[i] == '-';
    if (num[i] == '+' || num[i] == '-') ++i;
    for (; i < num.size(); ++i) exp10 = std::min<int64_t>(exp10 * 10 + (num[i] - '0'), int64_t{1} << 40);
    if (negative) exp10 = -exp10;
  }
  int64_t lead = 0;  // decimal exponent of the first non-zero digit
  size_t k = int_part.find_first_not_of('0');
  if (k != std::string_view::npos) {
    lead = static_cast<int64_t>(int_part.size() - 1 - k);
  } else {
    k = frac_part.find_first_not_of('0');
    if (k == std::string_view::npos) return true;  // all zeros (from_chars would not fail)
    lead = -static_cast<int64_t>(k + 1);
  }
  return lead + exp10 < 0;
}

// An iterative parser: open containers live on an explicit stack, so neither
// deep input nor a large max_depth can exhaust the (fiber) stack.
class Parser {
 public:
  Parser(std::string_view text, size_t max_depth) : text_(text), max_depth_(max_depth) {}

  rt::Result<bj::value> run();

 private:
  // What the parser expects next.
  enum class State { value, value_or_close, key, key_or_close, colon, comma_or_close };

  struct Frame {
    bj::value container;  // an object or an array
    std::string key;      // objects: the key whose value comes next
    bool as_key = false;  // an object in key position (fastjson Map<Object,..>)
  };

  rt::Error fail(std::string_view what) const {
    return rt::Error(rt::Errc::invalid_argument, fmt::format("json: {} at offset {}", what, pos_));
  }
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_ws() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  std::optional<rt::Error> open_container(bool object, bool as_key);
  template <class Out>
  std::optional<rt::Error> parse_string(Out& out);
  std::optional<rt::Error> parse_bare_key(std::string& out);
  rt::Result<bj::value> parse_scalar();
  rt::Result<bj::value> parse_number();
  std::optional<rt::Error> parse_literal(std::string_view word);

  std::string_view text_;
  size_t max_depth_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
};

std::optional<rt::Error> Parser::open_container(bool object, bool as_key) {
  if (stack_.size() >= max_depth_) return fail(fmt::format("nesting deeper than {}", max_depth_));
  Frame f;
  if (object) {
    f.container.emplace_object();
  } else {
    f.container.emplace_array();
  }
  f.as_key = as_key;
  stack_.push_back(std::move(f));
  ++pos_;
  return std::nullopt;
}

rt::Result<bj::value> Parser::run() {
  State state = State::value;
  for (;;) {
    skip_ws();
    if (at_end()) return fail("unexpected end of input");
    char c = text_[pos_];
    std::optional<bj::value> done;  // a completed value, to attach below
    bool done_is_key = false;
    switch (state) {
      case State::value_or_close:
      case State::key_or_close:
      case State::comma_or_close: {
        char close = stack_.back().container.is_object() ? '}' : ']';
        if (c == close) {
          ++pos_;
          done_is_key = stack_.back().as_key;
          done = std::move(stack_.back().container);
          stack_.pop_back();
          break;
        }
        if (state == State::comma_or_close) {
          if (c != ',') return fail(fmt::format("expected ',' or '{}'", close));
          ++pos_;
          state = stack_.back().container.is_object() ? State::key : State::value;
          continue;
        }
        state = state == State::value_or_close ? State::value : State::key;
        continue;
      }
      case State::value: {
        if (c == '{' || c == '[') {
          if (auto e = open_container(c == '{', /*as_key=*/false)) return *e;
          state = c == '{' ? State::key_or_close : State::value_or_close;
          continue;
        }
        auto v = parse_scalar();
        if (!v) return v.error();
        done = std::move(*v);
        break;
      }
      case State::key: {
        Frame& top = stack_.back();
        top.key.clear();
        if (c == '"') {
          if (auto e = parse_string(top.key)) return *e;
        } else if (c == '-' || is_digit(c)) {
          if (auto e = parse_bare_key(top.key)) return *e;
        } else if (c == '{') {
          if (auto e = open_container(/*object=*/true, /*as_key=*/true)) return *e;
          state = State::key_or_close;
          continue;
        } else {
          return fail("expected an object key");
        }
        state = State::colon;
        continue;
      }
      case State::colon:
        if (c != ':') return fail("expected ':'");
        ++pos_;
        state = State::value;
        continue;
    }
    // Attach the completed value to its container, or finish.
    RMQ_ASSERT(done.has_value());
    if (stack_.empty()) {
      skip_ws();
      if (!at_end()) return fail("trailing characters");
      return std::move(*done);
    }
    Frame& top = stack_.back();
    if (top.container.is_array()) {
      top.container.get_array().push_back(std::move(*done));
      state = State::comma_or_close;
    } else if (done_is_key) {
      top.key = json::serialize(*done);
      state = State::colon;
    } else {
      top.container.get_object().insert_or_assign(top.key, std::move(*done));
      state = State::comma_or_close;
    }
  }
}

template <class Out>
std::optional<rt::Error> Parser::parse_string(Out& out) {
  RMQ_ASSERT(text_[pos_] == '"');
  ++pos_;
  for (;;) {
    size_t run = pos_;
    while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\\') ++pos_;
    out.append(text_.substr(run, pos_ - run));
    if (at_end()) return fail("unterminated string");
    if (text_[pos_] == '"') {
      ++pos_;
      return std::nullopt;
    }
    // An escape.
    if (pos_ + 1 >= text_.size()) return fail("unterminated string");
    char e = text_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case '"': out.push_back('"'); continue;
      case '\\': out.push_back('\\'); continue;
      case '/': out.push_back('/'); continue;
      case 'b': out.push_back('\b'); continue;
      case 'f': out.push_back('\f'); continue;
      case 'n': out.push_back('\n'); continue;
      case 'r': out.push_back('\r'); continue;
      case 't': out.push_back('\t'); continue;
      case 'u': break;
      default: pos_ -= 2; return fail("invalid escape");
    }
    auto hex4 = [&](size_t at) -> int32_t {
      if (at + 4 > text_.size()) return -1;
      int32_t v = 0;
      for (size_t i = 0; i < 4; ++i) {
        int h = hex_value(text_[at + i]);
        if (h < 0) return -1;
        v = v * 16 + h;
      }
      return v;
    };
    int32_t u = hex4(pos_);
    if (u < 0) return fail("invalid \\u escape");
    pos_ += 4;
    uint32_t cp = static_cast<uint32_t>(u);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // A high surrogate: combine with a following low one.
      int32_t lo = -1;
      if (pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') lo = hex4(pos_ + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00);
        pos_ += 6;
      } else {
        cp = 0xFFFD;  // lone surrogate: no UTF-8 form; replaced, like Java's encoder
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    append_utf8(out, cp);
  }
}

std::optional<rt::Error> Parser::parse_bare_key(std::string& out) {
  size_t start = pos_;
  if (text_[pos_] == '-') ++pos_;
  size_t digits = pos_;
  while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
  if (pos_ == digits) return fail("expected digits in a bare key");
  out.assign(text_.substr(start, pos_ - start));
  return std::nullopt;
}

std::optional<rt::Error> Parser::parse_literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
  pos_ += word.size();
  return std::nullopt;
}

rt::Result<bj::value> Parser::parse_scalar() {
  char c = text_[pos_];
  if (c == '"') {
    bj::value v;
    if (auto e = parse_string(v.emplace_string())) return *e;
    return v;
  }
  if (c == '-' || is_digit(c)) return parse_number();
  if (c == 't') {
    if (auto e = parse_literal("true")) return *e;
    return bj::value(true);
  }
  if (c == 'f') {
    if (auto e = parse_literal("false")) return *e;
    return bj::value(false);
  }
  if (c == 'n') {
    if (auto e = parse_literal("null")) return *e;
    return bj::value(nullptr);
  }
  return fail("unexpected character");
}

rt::Result<bj::value> Parser::parse_number() {
  size_t start = pos_;
  auto digits = [&] {
    size_t from = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    return pos_ - from;
  };
  if (text_[pos_] == '-') ++pos_;
  size_t int_start = pos_;
  size_t int_digits = digits();
  if (int_digits == 0) return fail("invalid number");
  if (int_digits > 1 && text_[int_start] == '0') return fail("leading zero in number");
  bool integral = true;
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (digits() == 0) return fail("invalid number");
    integral = false;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (digits() == 0) return fail("invalid number");
    integral = false;
  }
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  if (integral) {
    int64_t i = 0;
    if (auto r = std::from_chars(first, last, i); r.ec == std::errc()) return bj::value(i);
    uint64_t u = 0;
    if (auto r = std::from_chars(first, last, u); r.ec == std::errc()) return bj::value(u);
    // Beyond 64 bits: fall through to double, as fastjson would use BigInteger.
  }
  double d = 0;
  auto r = std::from_chars(first, last, d);
  if (r.ec == std::errc::result_out_of_range && underflows(std::string_view(first, pos_ - start))) {
    return bj::value(*first == '-' ? -0.0 : 0.0);  // too small for a double: zero, as Java reads it
  }
  if (r.ec != std::errc() || r.ptr != last || !std::isfinite(d)) {
    pos_ = start;
    return fail("number out of range");
  }
  return bj::value(d);
}

}  // namespace

rt::Result<bj::value> parse_lenient(std::string_view text, size_t max_depth) {
  return Parser(text, max_depth).run();
}

// Iterative as well: a value built in code may be nested arbitrarily deep.
std::string serialize(const bj::value& v, bool bare_numeric_keys) {
  std::string out;
  struct Level {
    bool is_array = false;
    const bj::value* array_it = nullptr;  // arrays: next element
    const bj::value* array_end = nullptr;
    const bj::key_value_pair* object_it = nullptr;  // objects: next member
    const bj::key_value_pair* object_end = nullptr;
    bool first = true;
  };
  std::vector<Level> stack;
  auto open = [&](const bj::value& c) {
    Level l;
    l.is_array = c.is_array();
    if (l.is_array) {
      out.push_back('[');
      l.array_it = c.get_array().data();
      l.array_end = l.array_it + c.get_array().size();
    } else {
      out.push_back('{');
      l.object_it = c.get_object().begin();
      l.object_end = c.get_object().end();
    }
    stack.push_back(l);
  };
  auto emit = [&](const bj::value& x) {
    if (x.is_array() || x.is_object()) {
      open(x);
    } else {
      write_scalar(out, x);
    }
  };
  emit(v);
  while (!stack.empty()) {
    Level& l = stack.back();
    const bj::value* next = nullptr;
    if (l.is_array) {
      if (l.array_it == l.array_end) {
        out.push_back(']');
        stack.pop_back();
        continue;
      }
      if (!l.first) out.push_back(',');
      next = l.array_it++;
    } else {
      if (l.object_it == l.object_end) {
        out.push_back('}');
        stack.pop_back();
        continue;
      }
      if (!l.first) out.push_back(',');
      std::string_view key = l.object_it->key();
      if (bare_numeric_keys && is_bare_numeric_key(key)) {
        out.append(key);
      } else {
        append_quoted(out, key);
      }
      out.push_back(':');
      next = &l.object_it->value();
      ++l.object_it;
    }
    l.first = false;
    emit(*next);  // may push: `l` is not used after this
  }
  return out;
}

std::optional<std::string> scalar_text(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::string: return std::string(v.get_string());
    case bj::kind::null:
    case bj::kind::array:
    case bj::kind::object: return std::nullopt;
    case bj::kind::bool_:
    case bj::kind::int64:
    case bj::kind::uint64:
    case bj::kind::double_: break;
  }
  std::string out;
  write_scalar(out, v);
  return out;
}

std::optional<std::string> get_string(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  return scalar_text(it->value());
}

std::optional<int64_t> get_int64(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const bj::value& v = it->value();
  switch (v.kind()) {
    case bj::kind::int64: return v.get_int64();
    case bj::kind::uint64:
      if (v.get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(v.get_uint64());
    case bj::kind::double_: {
      // 5.0 or 1e3 are whole numbers; 1.5 and out-of-range values are not.
      double d = v.get_double();
      if (d != std::trunc(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return std::nullopt;
      return static_cast<int64_t>(d);
    }
    case bj::kind::string: return common::parse_java_long(v.get_string());
    case bj::kind::null:
    case bj::kind::bool_:
    case bj::kind::array:
    case bj::kind::object: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<bool> get_bool(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const bj::value& v = it->value();
  if (v.is_bool()) return v.get_bool();
  if (v.is_string()) {
    std::string_view s = v.get_string();
    auto lower_eq = [](std::string_view a, std::string_view b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        char c = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        if (c != b[i]) return false;
      }
      return true;
    };
    if (lower_eq(s, "true")) return true;
    if (lower_eq(s, "false")) return false;
    return std::nullopt;
  }
  // fastjson reads 1 and 0 into boolean fields too.
  if (v.is_int64() && (v.get_int64() == 0 || v.get_int64() == 1)) return v.get_int64() == 1;
  return std::nullopt;
}

}  // namespace rmq::json
