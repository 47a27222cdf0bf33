// A fault plan: the faults of a run as data, timed events over named nodes
// and links, so that a run can be printed, saved, replayed, edited and
// shrunk.
//
// One event per line of text:
//
//   <at> <kind> <node> [<-> <peer> | -> <peer>] [key=value ...]
//
//   12500ms crash broker0
//   12500ms power_loss broker1
//   20s partition producer1 -> broker0          (one way: producer1's packets to broker0 are dropped)
//   20s partition producer1 <-> broker0         (both ways)
//   25s heal producer1 <-> broker0
//   30s clog broker0 <-> namesrv delay=5s
//   31s latency consumer0 -> broker1 delay=20ms
//   32s loss consumer0 <-> broker1 rate=0.1
//   33s reset producer0 <-> broker1            (every connection between them reset)
//   40s slow_disk broker0 delay=50ms rate=0.2
//   41s fsync_stall broker0 delay=2s
//   50s clock_jump broker0 by=-3s
//   60s clock_drift broker0 ppm=-250
//
// Times and durations take the units ns, us, ms and s; to_string writes the
// largest unit that represents the value exactly. `#` starts a comment;
// blank lines are ignored. to_string(parse(text)) is canonical and
// parse(to_string(plan)) == plan.
//
// Limits (checked by parse, with the line number in the error): at most
// kFaultEventsMax events, lines of at most kFaultLineBytesMax bytes, node
// names of [A-Za-z0-9_.-] up to 64 bytes, times and durations in [0, 1000
// days] (a clock jump may be negative), rates in [0, 1], drift within
// +-1e6 ppm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::scenarios {

enum class FaultKind {
  crash,            // node: process killed (kill -9); the page cache survives
  restart,          // node: started again
  power_loss,       // node: machine off: unsynced writes lost, tails torn
  kill,             // node: crashed for good, never restarted
  pause,            // node: stopped (SIGSTOP): timers and sockets frozen
  resume,           // node: continued
  partition,        // link: packets dropped
  heal,             // link: partition undone
  reset,            // link: every connection between the two is reset (both ways)
  clog,             // link: every packet delayed by `delay`
  unclog,           // link: clog undone
  latency,          // link: extra latency up to `delay`, drawn per packet; 0 ends it
  loss,             // link: packets lost (and resent) with probability `rate`; 0 ends it
  slow_disk,        // node: a disk operation takes `delay` longer, with probability `rate` (default 1); 0 ends it
  fsync_stall,      // node: a sync stalls for `delay`, with probability `rate` (default 1); 0 ends it
  disk_full,        // node: writes fail with ENOSPC until disk_free
  disk_free,        // node: space again
  read_corruption,  // node: a read flips a bit with probability `rate`; 0 ends it
  clock_jump,       // node: wall clock jumps by `by` (may be negative)
  clock_drift,      // node: wall clock runs `ppm` parts per million fast (or slow)
};

inline constexpr int kFaultKindCount = static_cast<int>(FaultKind::clock_drift) + 1;

std::string_view to_string(FaultKind k);
std::optional<FaultKind> fault_kind_from_string(std::string_view s);
// True for the kinds that name a link (node and peer).
bool is_link_fault(FaultKind k);

struct FaultEvent {
  rt::Duration at{};        // since the start of the run
  FaultKind kind = FaultKind::crash;
  std::string node;
  std::string peer;         // link faults only
  bool both_ways = false;   // link faults: "<->" rather than "->"
  rt::Duration delay{};     // clog, latency, slow_disk, fsync_stall
  rt::Duration by{};        // clock_jump
  double rate = 0;          // loss, read_corruption; slow_disk, fsync_stall (default 1)
  double ppm = 0;           // clock_drift
  bool operator==(const FaultEvent&) const = default;
};

// slow_disk and fsync_stall without rate=: every operation.
inline constexpr double kOptionalRateDefault = 1.0;

inline constexpr size_t kFaultEventsMax = 100000;
inline constexpr size_t kFaultLineBytesMax = 512;
inline constexpr size_t kFaultNodeNameBytesMax = 64;

struct FaultPlan {
  std::vector<FaultEvent> events;
  // Appends an event on a node, or on a link, and returns it so that its
  // parameters can be set (slow_disk and fsync_stall start at rate 1).
  FaultEvent& add(rt::Duration at, FaultKind kind, std::string node);
  FaultEvent& add(rt::Duration at, FaultKind kind, std::string node, std::string peer, bool both_ways);
  bool operator==(const FaultPlan&) const = default;
};

// One line per event, in the plan's order, each ending in '\n'.
std::string to_string(const FaultPlan& plan);
std::string to_string(const FaultEvent& e);

// Parses the text form. Errc::invalid_argument naming the line and what is
// wrong with it.
rt::Result<FaultPlan> parse_fault_plan(std::string_view text);

}  // namespace rmq::scenarios
