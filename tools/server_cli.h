// The command line both servers take:
//
//   rmq-namesrv|rmq-broker [-c file.conf] [--key=value ...] [-h]
//
// Header-only; tools/ only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "runtime/runtime.h"

namespace rmq::tools {

struct ServerArgs {
  std::string config_path;             // -c
  std::vector<std::string> overrides;  // --key=value, applied over the file
};

// Parses argv into `out`. Returns an exit status when the process should
// stop now (2 after printing usage for bad arguments, 2 for -h as well).
inline std::optional<int> parse_server_args(int argc, char** argv, const char* name, ServerArgs& out) {
  auto usage = [&](const std::string& why) {
    if (!why.empty()) std::fprintf(stderr, "%s: %s\n", name, why.c_str());
    std::fprintf(stderr, "usage: %s [-c %s.conf] [--key=value ...]\n", name, name + 4);
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-c") {
      if (i + 1 >= argc) return usage("-c needs a file");
      out.config_path = argv[++i];
    } else if (a == "-h" || a == "--help") {
      return usage("");
    } else if (a.rfind("--", 0) == 0) {
      out.overrides.push_back(a);
    } else {
      return usage("unknown argument '" + a + "'");
    }
  }
  return std::nullopt;
}

// The properties file named by -c (none: empty) with the --key=value
// overrides applied over it. Errors name the file or the argument.
inline rt::Result<common::Properties> load_server_properties(rt::FileSystem& fs, const ServerArgs& args) {
  common::Properties props;
  if (!args.config_path.empty()) {
    auto loaded = common::Properties::load(fs, args.config_path);
    if (!loaded) return rt::Error(loaded.error().code(), loaded.error().message());
    props = std::move(*loaded);
  }
  if (auto o = props.apply_overrides(args.overrides); !o) return rt::Error(o.error().code(), o.error().detail());
  return props;
}

// $HOME, or "." when it is unset (the servers' default data directories).
inline std::string home_dir() {
  const char* home = std::getenv("HOME");
  return home && *home ? home : ".";
}

}  // namespace rmq::tools
