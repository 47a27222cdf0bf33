// rmq-admin: the daily mqadmin subcommands, over the remoting protocol.
//
//   rmq-admin help [SUBCOMMAND]
//   rmq-admin SUBCOMMAND -n NAMESRV[;NAMESRV...] [flags]
//
// -n falls back to the NAMESRV_ADDR environment variable; several namesrvs
// are asked in turn until one answers. A connect, and each answer, waits at
// most 5 s.
// Exit status: 0 done; 1 a namesrv or broker could not be reached or
// answered with an error (the message names the address, and the response
// code and remark); 2 bad usage (unknown subcommand, missing or bad flag).
// Times print in UTC.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/real/real_runtime.h"
#include "tools/admin_command.h"

namespace rmq::tools {
namespace {

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> all = [] {
    std::vector<Subcommand> out;
    for (auto family : {topic_commands, broker_commands, group_commands, message_commands})
      for (auto& s : family()) out.push_back(std::move(s));
    return out;
  }();
  return all;
}

std::string overview() {
  std::string out =
      fmt::format("usage: {} SUBCOMMAND [flags]   ({} help SUBCOMMAND for its flags)\n\n", kProgram, kProgram);
  for (const auto& s : subcommands()) out += fmt::format("  {:<21}{}\n", s.spec.name, s.spec.summary);
  out += "\n-n NAMESRV falls back to $NAMESRV_ADDR. Exit status: 0 ok, 1 unreachable or refused, 2 bad usage.\n";
  return out;
}

const Subcommand* find_subcommand(std::string_view name) {
  for (const auto& s : subcommands())
    if (s.spec.name == name) return &s;
  return nullptr;
}

int run(const Subcommand& cmd, const Flags& flags) {
  real::RealRuntime runtime({.name = kProgram, .min_log_level = rt::LogLevel::error});
  int exit_code = 130;  // stays so when interrupted (SIGINT/SIGTERM)
  runtime.stop_on_signals();
  runtime.run([&] {
    client::ClientConfig cfg;
    if (flags.has('n')) cfg.namesrv_addrs = flags.addresses('n');
    cfg.instance_name = fmt::format("rmq-admin-{}", runtime.random().below(1'000'000'000));
    cfg.rpc_timeout = kCallTimeout;
    cfg.rpc.connect_timeout = kCallTimeout;
    client::MqClient mq(runtime, cfg);
    client::Admin admin(mq);
    Context ctx{runtime, mq, admin, flags};
    const Outcome<void> r = cmd.run(ctx);
    std::fflush(stdout);
    mq.stop();
    exit_code = r ? 0 : r.error().kind == client::AdminError::Kind::usage ? 2 : 1;
    if (r) return;
    std::fprintf(stderr, "%s %s: %s\n", kProgram, std::string(cmd.spec.name).c_str(), r.error().message.c_str());
    if (exit_code == 2) std::fputs(usage_text(kProgram, cmd.spec).c_str(), stderr);
  });
  return exit_code;
}

}  // namespace
}  // namespace rmq::tools

int main(int argc, char** argv) {
  using namespace rmq::tools;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(overview().c_str(), stderr);
    return 2;
  }
  if (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
    const Subcommand* cmd = args.size() > 1 ? find_subcommand(args[1]) : nullptr;
    if (args.size() > 1 && !cmd) {
      std::fprintf(stderr, "%s: unknown subcommand '%s'\n\n%s", kProgram, args[1].c_str(), overview().c_str());
      return 2;
    }
    std::fputs(cmd ? usage_text(kProgram, cmd->spec).c_str() : overview().c_str(), stdout);
    return 0;
  }
  const Subcommand* cmd = find_subcommand(args[0]);
  if (!cmd) {
    std::fprintf(stderr, "%s: unknown subcommand '%s'\n\n%s", kProgram, args[0].c_str(), overview().c_str());
    return 2;
  }
  const char* env = std::getenv("NAMESRV_ADDR");
  ParsedFlags parsed = parse_flags(cmd->spec, {args.begin() + 1, args.end()},
                                   env ? std::optional<std::string>(env) : std::nullopt);
  if (parsed.help) {
    std::fputs(usage_text(kProgram, cmd->spec).c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "%s %s: %s\n%s", kProgram, args[0].c_str(), parsed.error.c_str(),
                 usage_text(kProgram, cmd->spec).c_str());
    return 2;
  }
  return run(*cmd, parsed.flags);
}
