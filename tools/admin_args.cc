#include "tools/admin_args.h"

#include <fmt/format.h>

#include "common/config.h"
#include "common/numbers.h"
#include "runtime/assert.h"
#include "runtime/runtime.h"

namespace rmq::tools {

namespace {

const FlagSpec* find_letter(const CommandSpec& spec, char letter) {
  for (const auto& f : spec.flags)
    if (f.letter == letter) return &f;
  return nullptr;
}

const FlagSpec* find_long(const CommandSpec& spec, std::string_view name) {
  for (const auto& f : spec.flags)
    if (f.long_name == name) return &f;
  return nullptr;
}

std::string flag_name(const FlagSpec& f) { return fmt::format("-{} ({})", f.letter, f.long_name); }

// Empty when `value` is acceptable for `f`, else what is wrong with it.
std::string check_value(const FlagSpec& f, const std::string& value) {
  switch (f.kind) {
    case FlagKind::text:
      if (value.empty()) return flag_name(f) + " must not be empty";
      return {};
    case FlagKind::integer: {
      auto n = common::parse_java_long(value);
      if (!n) return fmt::format("{} must be an integer, not '{}'", flag_name(f), value);
      if (*n < f.min || *n > f.max)
        return fmt::format("{} must be in [{}, {}], not {}", flag_name(f), f.min, f.max, *n);
      return {};
    }
    case FlagKind::presence:
    case FlagKind::boolean:
      if (value != "true" && value != "false")
        return fmt::format("{} must be true or false, not '{}'", flag_name(f), value);
      return {};
    case FlagKind::address:
      if (!rt::parse_address(value)) return fmt::format("{} must be an IPv4 host:port, not '{}'", flag_name(f), value);
      return {};
    case FlagKind::address_list: {
      const auto list = common::split_address_list(value);
      if (list.empty()) return flag_name(f) + " needs at least one host:port";
      for (const auto& a : list)
        if (!rt::parse_address(a)) return fmt::format("{} lists '{}', which is not an IPv4 host:port", flag_name(f), a);
      return {};
    }
  }
  return "unreachable";
}

}  // namespace

const std::string& Flags::text(char letter) const {
  auto it = values_.find(letter);
  RMQ_ASSERT_MSG(it != values_.end(), "flag not set");
  return it->second;
}

int64_t Flags::integer(char letter) const {
  auto n = common::parse_java_long(text(letter));
  RMQ_ASSERT_MSG(n.has_value(), "integer flag not checked");
  return *n;
}

bool Flags::boolean(char letter) const { return text(letter) == "true"; }

std::vector<std::string> Flags::addresses(char letter) const { return common::split_address_list(text(letter)); }

std::optional<std::string> Flags::optional(char letter) const {
  if (!has(letter)) return std::nullopt;
  return text(letter);
}

ParsedFlags parse_flags(const CommandSpec& spec, const std::vector<std::string>& args,
                        std::optional<std::string> namesrv_env) {
  ParsedFlags out;
  auto fail = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  std::map<char, bool> given;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      out.help = true;
      return out;
    }
    const FlagSpec* f = nullptr;
    std::optional<std::string> inline_value;
    if (a.size() > 2 && a.starts_with("--")) {
      const size_t eq = a.find('=');
      f = find_long(spec, std::string_view(a).substr(2, eq == std::string::npos ? std::string::npos : eq - 2));
      if (eq != std::string::npos) inline_value = a.substr(eq + 1);
    } else if (a.size() == 2 && a[0] == '-') {
      f = find_letter(spec, a[1]);
    } else {
      return fail(fmt::format("unexpected argument '{}'", a));
    }
    if (!f) return fail(fmt::format("{} takes no flag '{}'", spec.name, a));
    if (given[f->letter]) return fail(flag_name(*f) + " given twice");
    given[f->letter] = true;
    if (f->kind == FlagKind::presence && !inline_value) inline_value = "true";  // --x=false stays possible
    if (!inline_value) {
      if (i + 1 >= args.size()) return fail(flag_name(*f) + " needs a value (" + std::string(f->value_name) + ")");
      inline_value = args[++i];
    }
    if (auto bad = check_value(*f, *inline_value); !bad.empty()) return fail(bad);
    out.flags.set(f->letter, std::move(*inline_value));
  }
  for (const auto& f : spec.flags) {
    if (out.flags.has(f.letter)) continue;
    if (f.letter == 'n' && f.kind == FlagKind::address_list && namesrv_env && !namesrv_env->empty()) {
      if (auto bad = check_value(f, *namesrv_env); !bad.empty()) return fail("NAMESRV_ADDR: " + bad);
      out.flags.set('n', *namesrv_env);
      continue;
    }
    if (!f.default_value.empty()) {
      out.flags.set(f.letter, std::string(f.default_value));
      continue;
    }
    if (f.required) return fail(fmt::format("missing {} {}", flag_name(f), f.value_name));
  }
  return out;
}

std::string usage_text(std::string_view program, const CommandSpec& spec) {
  std::string synopsis = fmt::format("usage: {} {}", program, spec.name);
  std::string lines;
  for (const auto& f : spec.flags) {
    const std::string one =
        f.kind == FlagKind::presence ? fmt::format("-{}", f.letter) : fmt::format("-{} {}", f.letter, f.value_name);
    synopsis += f.required ? " " + one : " [" + one + "]";
    std::string line = fmt::format("  -{}, --{} {}", f.letter, f.long_name,
                                   f.kind == FlagKind::presence ? std::string_view() : f.value_name);
    if (line.size() < 34) line.append(34 - line.size(), ' ');
    line += " " + std::string(f.help);
    if (!f.default_value.empty()) line += fmt::format(" (default {})", f.default_value);
    lines += line + "\n";
  }
  return fmt::format("{}\n{}\n{}", synopsis, spec.summary, lines);
}

}  // namespace rmq::tools
