// The simulator's implementation of rt::Runtime, one per node incarnation.
// Internal to sim/: components only see rt::Runtime.
#pragma once

#include <cstdint>
#include <memory>

#include "runtime/runtime.h"
#include "runtime/scheduler.h"
#include "sim/simulation.h"

namespace rmq::sim {

class SimFileSystem;

class SimRuntime final : public rt::Runtime {
 public:
  SimRuntime(Simulation& sim, Node& node, uint64_t seed);
  ~SimRuntime() override;

  Simulation& sim() { return sim_; }
  Node& node() { return node_; }
  NodeId node_id() const { return node_.id(); }
  uint32_t incarnation() const { return incarnation_; }

  // Suspends the current task for `d` of simulated time, ignoring
  // cancellation (for operations that, once issued, complete). Returns false
  // if the node is stopping (the operation must then have no effect).
  bool delay_uncancellable(rt::Duration d);

 private:
  rt::Instant do_now() const override;
  int64_t do_wall_ms() const override;
  rt::Result<std::unique_ptr<rt::Listener>> do_listen(std::string_view address) override;
  rt::Result<std::unique_ptr<rt::Conn>> do_connect(std::string_view address, rt::Duration timeout) override;
  rt::FileSystem& do_fs() override;
  void do_log(rt::LogLevel level, std::string_view message) override;

  Simulation& sim_;
  Node& node_;
  uint32_t incarnation_;
  std::unique_ptr<SimFileSystem> fs_;
};

// Wall-clock epoch of every simulation: 2026-01-01T00:00:00Z.
inline constexpr int64_t kSimEpochMs = 1767225600000;

}  // namespace rmq::sim
