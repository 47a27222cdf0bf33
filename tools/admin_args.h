// rmq-admin's command line: each subcommand declares its flags (mqadmin's
// letters and long names), and parse_flags() checks a command line against
// that declaration before anything is sent: unknown or repeated flags,
// missing values, missing required flags, numbers out of range and addresses
// that are not IPv4 host:port all become a usage error (exit status 2).
//
//   -t TopicA   --topic TopicA   --topic=TopicA     are the same flag.
//
// Pure: no runtime, no I/O. tools/ only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::tools {

enum class FlagKind {
  text,
  integer,       // decimal, within [min, max]
  boolean,       // "true" or "false"
  address,       // IPv4 host:port
  address_list,  // host:port;host:port (one or more)
  presence,      // a switch without a value (mqadmin's -a showAll): boolean() says whether given
};

struct FlagSpec {
  char letter = 0;                 // -t
  std::string_view long_name;      // --topic
  std::string_view value_name;     // TOPIC, in the usage text
  std::string_view help;
  FlagKind kind = FlagKind::text;
  bool required = false;
  std::string_view default_value;  // empty: no default (the flag is absent unless given)
  int64_t min = 0;                 // FlagKind::integer only
  int64_t max = 0;

  FlagSpec must() const {
    FlagSpec f = *this;
    f.required = true;
    return f;
  }
  FlagSpec or_else(std::string_view value) const {
    FlagSpec f = *this;
    f.default_value = value;
    return f;
  }
  FlagSpec within(int64_t lo, int64_t hi) const {
    FlagSpec f = *this;
    f.min = lo;
    f.max = hi;
    return f;
  }
};

// An optional flag without a default; .must(), .or_else("8") and
// .within(1, 1024) refine it.
inline FlagSpec flag(char letter, std::string_view long_name, std::string_view value_name, std::string_view help,
                     FlagKind kind = FlagKind::text) {
  FlagSpec f;
  f.letter = letter;
  f.long_name = long_name;
  f.value_name = value_name;
  f.help = help;
  f.kind = kind;
  return f;
}

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  std::vector<FlagSpec> flags;
};

// The values of one command line, defaults filled in.
class Flags {
 public:
  bool has(char letter) const { return values_.count(letter) != 0; }
  // REQUIRES: has(letter).
  const std::string& text(char letter) const;
  // REQUIRES: has(letter), and the flag was declared integer / boolean /
  // address_list (parse_flags checked the value).
  int64_t integer(char letter) const;
  bool boolean(char letter) const;
  std::vector<std::string> addresses(char letter) const;
  std::optional<std::string> optional(char letter) const;

  void set(char letter, std::string value) { values_[letter] = std::move(value); }

 private:
  std::map<char, std::string> values_;
};

struct ParsedFlags {
  Flags flags;
  bool help = false;  // -h / --help: print the usage, run nothing
  std::string error;  // non-empty: a usage error, naming the flag
};

// Parses `args` (what follows the subcommand name). `namesrv_env` (the
// NAMESRV_ADDR environment variable, as mqadmin reads it) stands in for an
// absent -n.
ParsedFlags parse_flags(const CommandSpec& spec, const std::vector<std::string>& args,
                        std::optional<std::string> namesrv_env);

// The usage text of one subcommand: its synopsis line and one line per flag.
std::string usage_text(std::string_view program, const CommandSpec& spec);

}  // namespace rmq::tools
