// The simulator as a conformance-test backend: one node, one seed.
#include <gtest/gtest.h>

#include "sim/simulation.h"
#include "tests/runtime/backend.h"

namespace rmq::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kScratch = "/scratch";

class SimBackend final : public Backend {
 public:
  explicit SimBackend(uint64_t seed) : seed_(seed) {}
  std::string name() const override { return "sim"; }

  void run(std::function<void(rt::Runtime&)> body) override {
    sim::Simulation sim(seed_);
    bool finished = false;
    sim.add_node("test", [&](rt::Runtime& rt) {
      auto made = rt.fs().create_dirs(kScratch);
      ASSERT_TRUE(made.ok()) << made.error().message();
      body(rt);
      finished = true;
    });
    sim.start_all();
    // A body that blocks forever leaves the simulation without events, or
    // keeps it busy for an hour of simulated time: either way it hung.
    if (!sim.run_until([&] { return finished; }, 1h)) {
      std::string logs;
      for (auto& l : sim.recent_logs()) logs += l + "\n";
      ADD_FAILURE() << "simulated test body did not finish (seed " << seed_ << ")\n" << logs;
    }
  }

  std::string scratch_dir() override { return kScratch; }

 private:
  uint64_t seed_;
};

}  // namespace

std::unique_ptr<Backend> make_sim_backend(uint64_t seed) { return std::make_unique<SimBackend>(seed); }

}  // namespace rmq::test
