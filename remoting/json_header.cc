// The JSON header (serialize type 0; reference sections 1.3, 1.4 and 4).
//
// Writing follows fastjson: keys in alphabetical order, every extFields value
// a JSON string, control characters escaped as \u00XX, other UTF-8 raw.
// `remark` is omitted when absent; `extFields` is always written (`{}` when
// empty), which every client reads.
//
// Reading is a small single-pass parser straight into the RemotingCommand (no
// DOM): keys in any order, unknown keys skipped, duplicates last-wins.
// extFields values: strings as they are, numbers as their exact text
// ("1795564287081", "1.50"), booleans "true"/"false", null removes the key,
// and a nested object or array becomes its JSON text with the whitespace
// outside strings removed — what fastjson's String deserializer does.
// Nesting deeper than json::kMaxDepth (the header object counts as 1) is
// rejected; recursion is bounded by that depth.
#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "common/json.h"
#include "common/numbers.h"
#include "common/json_text.h"
#include "remoting/codec.h"

namespace rmq::remoting {

namespace {

void append_int(std::string& out, int32_t v) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// One JSON token's kind, as seen from its first character.
enum class Token { string, number, true_, false_, null, object, array, invalid };

class HeaderReader {
 public:
  explicit HeaderReader(std::string_view text) : t_(text) {}

  Decoded<RemotingCommand> run();

 private:
  bool fail(DecodeError e, std::string_view what) {
    if (!failed_) {
      failed_ = true;
      error_ = e;
      detail_ = fmt::format("json: {} at offset {}", what, pos_);
    }
    return false;
  }
  bool syntax(std::string_view what) { return fail(DecodeError::json_invalid, what); }
  bool field(std::string_view name, std::string_view why) {
    return fail(DecodeError::json_field_invalid, fmt::format("field \"{}\" {}", name, why));
  }

  void skip_ws() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool expect(char c) {
    skip_ws();
    if (pos_ >= t_.size() || t_[pos_] != c) return syntax(fmt::format("expected '{}'", c));
    ++pos_;
    return true;
  }
  Token peek();

  bool read_string(std::string_view& result);
  bool read_number(std::string_view& text);
  bool read_literal(std::string_view word);
  bool read_value_text(std::string* out, size_t depth);
  bool read_int32(std::string_view name, int32_t& out);
  bool read_language(std::string& out);
  bool read_remark(std::optional<std::string>& out);
  bool read_ext_fields(ExtFields& out);
  bool read_member(RemotingCommand& cmd);

  std::string_view t_;
  size_t pos_ = 0;
  std::string scratch_;  // unescaped text of the last string with escapes
  bool failed_ = false;
  DecodeError error_{};
  std::string detail_;
};

Token HeaderReader::peek() {
  skip_ws();
  if (pos_ >= t_.size()) return Token::invalid;
  char c = t_[pos_];
  switch (c) {
    case '"': return Token::string;
    case '{': return Token::object;
    case '[': return Token::array;
    case 't': return Token::true_;
    case 'f': return Token::false_;
    case 'n': return Token::null;
    default: return c == '-' || json::is_digit(c) ? Token::number : Token::invalid;
  }
}

// A string token; `result` views the source when it has no escapes, or
// scratch_ (valid until the next call) when it has.
bool HeaderReader::read_string(std::string_view& result) {
  ++pos_;  // the opening quote
  size_t start = pos_;
  while (pos_ < t_.size() && t_[pos_] != '"' && t_[pos_] != '\\') ++pos_;
  if (pos_ >= t_.size()) return syntax("unterminated string");
  if (t_[pos_] == '"') {
    result = t_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }
  scratch_.assign(t_.substr(start, pos_ - start));
  for (;;) {
    size_t run = pos_;
    while (pos_ < t_.size() && t_[pos_] != '"' && t_[pos_] != '\\') ++pos_;
    scratch_.append(t_.substr(run, pos_ - run));
    if (pos_ >= t_.size()) return syntax("unterminated string");
    if (t_[pos_] == '"') {
      ++pos_;
      result = scratch_;
      return true;
    }
    if (pos_ + 1 >= t_.size()) return syntax("unterminated string");
    char e = t_[pos_ + 1];
    switch (e) {
      case '"': scratch_.push_back('"'); pos_ += 2; continue;
      case '\\': scratch_.push_back('\\'); pos_ += 2; continue;
      case '/': scratch_.push_back('/'); pos_ += 2; continue;
      case 'b': scratch_.push_back('\b'); pos_ += 2; continue;
      case 'f': scratch_.push_back('\f'); pos_ += 2; continue;
      case 'n': scratch_.push_back('\n'); pos_ += 2; continue;
      case 'r': scratch_.push_back('\r'); pos_ += 2; continue;
      case 't': scratch_.push_back('\t'); pos_ += 2; continue;
      case 'u': break;
      default: return syntax("invalid escape");
    }
    auto hex4 = [&](size_t at) -> int32_t {
      if (at + 4 > t_.size()) return -1;
      int32_t v = 0;
      for (size_t i = 0; i < 4; ++i) {
        int h = json::hex_value(t_[at + i]);
        if (h < 0) return -1;
        v = v * 16 + h;
      }
      return v;
    };
    int32_t u = hex4(pos_ + 2);
    if (u < 0) return syntax("invalid \\u escape");
    pos_ += 6;
    auto cp = static_cast<uint32_t>(u);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      int32_t lo = -1;
      if (pos_ + 1 < t_.size() && t_[pos_] == '\\' && t_[pos_ + 1] == 'u') lo = hex4(pos_ + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00);
        pos_ += 6;
      } else {
        cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    json::append_utf8(scratch_, cp);
  }
}

// A number token, checked against the JSON grammar; `text` is its source.
bool HeaderReader::read_number(std::string_view& text) {
  size_t start = pos_;
  auto digits = [&] {
    size_t from = pos_;
    while (pos_ < t_.size() && json::is_digit(t_[pos_])) ++pos_;
    return pos_ - from;
  };
  if (t_[pos_] == '-') ++pos_;
  size_t int_start = pos_;
  size_t n = digits();
  if (n == 0 || (n > 1 && t_[int_start] == '0')) return syntax("invalid number");
  if (pos_ < t_.size() && t_[pos_] == '.') {
    ++pos_;
    if (digits() == 0) return syntax("invalid number");
  }
  if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) ++pos_;
    if (digits() == 0) return syntax("invalid number");
  }
  text = t_.substr(start, pos_ - start);
  return true;
}

bool HeaderReader::read_literal(std::string_view word) {
  if (t_.substr(pos_, word.size()) != word) return syntax("invalid literal");
  pos_ += word.size();
  return true;
}

// Any value, appended to `*out` as compact JSON (or only checked when `out`
// is null). `depth` counts the containers already open around it.
bool HeaderReader::read_value_text(std::string* out, size_t depth) {
  Token tok = peek();
  size_t start = pos_;
  switch (tok) {
    case Token::string: {
      std::string_view s;
      if (!read_string(s)) return false;
      break;
    }
    case Token::number: {
      std::string_view s;
      if (!read_number(s)) return false;
      break;
    }
    case Token::true_: if (!read_literal("true")) return false; break;
    case Token::false_: if (!read_literal("false")) return false; break;
    case Token::null: if (!read_literal("null")) return false; break;
    case Token::invalid: return syntax(pos_ >= t_.size() ? "unexpected end of input" : "unexpected character");
    case Token::object:
    case Token::array: {
      if (depth + 1 > json::kMaxDepth) return syntax(fmt::format("nesting deeper than {}", json::kMaxDepth));
      bool object = tok == Token::object;
      char close = object ? '}' : ']';
      ++pos_;
      if (out) out->push_back(object ? '{' : '[');
      skip_ws();
      if (pos_ < t_.size() && t_[pos_] == close) {
        ++pos_;
        if (out) out->push_back(close);
        return true;
      }
      for (;;) {
        if (object) {
          if (peek() != Token::string) return syntax("expected an object key");
          if (!read_value_text(out, depth + 1)) return false;
          if (!expect(':')) return false;
          if (out) out->push_back(':');
        }
        if (!read_value_text(out, depth + 1)) return false;
        skip_ws();
        if (pos_ >= t_.size()) return syntax("unexpected end of input");
        char c = t_[pos_++];
        if (out) out->push_back(c);
        if (c == close) return true;
        if (c != ',') {
          --pos_;
          return syntax(fmt::format("expected ',' or '{}'", close));
        }
      }
    }
  }
  if (out) out->append(t_.substr(start, pos_ - start));
  return true;
}

// code, opaque, flag, version: an int32, or a string holding one; null keeps
// the default.
bool HeaderReader::read_int32(std::string_view name, int32_t& out) {
  switch (peek()) {
    case Token::null: return read_literal("null");
    case Token::string: {
      std::string_view s;
      if (!read_string(s)) return false;
      auto v = common::parse_java_int(s);
      if (!v) return field(name, "is not an integer");
      out = *v;
      return true;
    }
    case Token::number: {
      std::string_view s;
      if (!read_number(s)) return false;
      int32_t v = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return field(name, "is not a 32-bit integer");
      out = v;
      return true;
    }
    case Token::invalid: return read_value_text(nullptr, 1);  // reports the syntax error
    default: return field(name, "is not an integer");
  }
}

// A LanguageCode name; a number is taken as the ROCKETMQ language byte.
bool HeaderReader::read_language(std::string& out) {
  switch (peek()) {
    case Token::null: return read_literal("null");
    case Token::string: {
      std::string_view s;
      if (!read_string(s)) return false;
      out.assign(s);
      return true;
    }
    case Token::number: {
      std::string_view s;
      if (!read_number(s)) return false;
      uint8_t v = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return field("language", "is not a language code");
      out.assign(language_name(v));
      return true;
    }
    case Token::invalid: return read_value_text(nullptr, 1);
    default: return field("language", "is not a string");
  }
}

// A string; absent and null are nullopt, "" stays ""; numbers and booleans
// are taken as their text.
bool HeaderReader::read_remark(std::optional<std::string>& out) {
  Token tok = peek();
  if (tok == Token::null) {
    out.reset();
    return read_literal("null");
  }
  if (tok == Token::string) {
    std::string_view s;
    if (!read_string(s)) return false;
    out.emplace(s);
    return true;
  }
  if (tok == Token::number || tok == Token::true_ || tok == Token::false_) {
    std::string text;
    if (!read_value_text(&text, 1)) return false;
    out = std::move(text);
    return true;
  }
  if (tok == Token::invalid) return read_value_text(nullptr, 1);  // reports the syntax error
  return field("remark", "is not a string");
}

// A repeated "extFields" replaces the earlier one, as in fastjson.
bool HeaderReader::read_ext_fields(ExtFields& out) {
  out.clear();
  Token tok = peek();
  if (tok == Token::null) return read_literal("null");
  if (tok == Token::invalid) return read_value_text(nullptr, 1);
  if (tok != Token::object) return field("extFields", "is not an object");
  constexpr size_t kDepth = 2;  // the header object and extFields
  ++pos_;
  skip_ws();
  if (pos_ < t_.size() && t_[pos_] == '}') {
    ++pos_;
    return true;
  }
  std::string key;
  for (;;) {
    if (peek() != Token::string) return syntax("expected an object key");
    std::string_view k;
    if (!read_string(k)) return false;
    key.assign(k);
    if (!expect(':')) return false;
    switch (peek()) {
      case Token::string: {
        std::string_view v;
        if (!read_string(v)) return false;
        out.insert_or_assign(key, std::string(v));
        break;
      }
      case Token::null:
        if (!read_literal("null")) return false;
        out.erase(key);
        break;
      default: {
        std::string text;
        if (!read_value_text(&text, kDepth)) return false;
        out.insert_or_assign(key, std::move(text));
        break;
      }
    }
    skip_ws();
    if (pos_ >= t_.size()) return syntax("unexpected end of input");
    char c = t_[pos_++];
    if (c == '}') return true;
    if (c != ',') {
      --pos_;
      return syntax("expected ',' or '}'");
    }
  }
}

bool HeaderReader::read_member(RemotingCommand& cmd) {
  if (peek() != Token::string) return syntax("expected an object key");
  std::string_view key;
  if (!read_string(key)) return false;
  // `key` may view scratch_, which the value readers reuse: compare first.
  enum class Field { code, opaque, flag, version, language, remark, ext_fields, other };
  Field f = key == "code"        ? Field::code
            : key == "opaque"    ? Field::opaque
            : key == "flag"      ? Field::flag
            : key == "version"   ? Field::version
            : key == "language"  ? Field::language
            : key == "remark"    ? Field::remark
            : key == "extFields" ? Field::ext_fields
                                 : Field::other;
  if (!expect(':')) return false;
  switch (f) {
    case Field::code: return read_int32("code", cmd.code);
    case Field::opaque: return read_int32("opaque", cmd.opaque);
    case Field::flag: return read_int32("flag", cmd.flag);
    case Field::version: return read_int32("version", cmd.version);
    case Field::language: return read_language(cmd.language);
    case Field::remark: return read_remark(cmd.remark);
    case Field::ext_fields: return read_ext_fields(cmd.ext_fields);
    case Field::other: return read_value_text(nullptr, 1);  // e.g. serializeTypeCurrentRPC
  }
  return false;
}

Decoded<RemotingCommand> HeaderReader::run() {
  RemotingCommand cmd;
  cmd.serialize_type = SerializeType::json;
  bool ok = [&] {
    if (peek() != Token::object) return syntax("header is not a JSON object");
    ++pos_;
    skip_ws();
    if (pos_ < t_.size() && t_[pos_] == '}') {
      ++pos_;
    } else {
      for (;;) {
        if (!read_member(cmd)) return false;
        skip_ws();
        if (pos_ >= t_.size()) return syntax("unexpected end of input");
        char c = t_[pos_++];
        if (c == '}') break;
        if (c != ',') {
          --pos_;
          return syntax("expected ',' or '}'");
        }
      }
    }
    skip_ws();
    if (pos_ != t_.size()) return syntax("trailing characters after the header");
    return true;
  }();
  Decoded<RemotingCommand> d;
  if (ok) {
    d.value = std::move(cmd);
  } else {
    RMQ_ASSERT(failed_);
    d.error = error_;
    d.detail = std::move(detail_);
  }
  return d;
}

}  // namespace

std::string encode_json_header(const RemotingCommand& cmd) {
  size_t estimate = 160 + (cmd.remark ? cmd.remark->size() : 0);
  for (const auto& [k, v] : cmd.ext_fields) estimate += k.size() + v.size() + 6;
  std::string out;
  out.reserve(estimate);
  out.append("{\"code\":");
  append_int(out, cmd.code);
  out.append(",\"extFields\":{");
  bool first = true;
  for (const auto& [k, v] : cmd.ext_fields) {
    if (!first) out.push_back(',');
    first = false;
    json::append_quoted(out, k);
    out.push_back(':');
    json::append_quoted(out, v);
  }
  out.append("},\"flag\":");
  append_int(out, cmd.flag);
  out.append(",\"language\":");
  json::append_quoted(out, cmd.language);
  out.append(",\"opaque\":");
  append_int(out, cmd.opaque);
  if (cmd.remark) {
    out.append(",\"remark\":");
    json::append_quoted(out, *cmd.remark);
  }
  out.append(",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
  append_int(out, cmd.version);
  out.push_back('}');
  return out;
}

Decoded<RemotingCommand> decode_json_header(std::string_view json) {
  return HeaderReader(json).run();
}

}  // namespace rmq::remoting
