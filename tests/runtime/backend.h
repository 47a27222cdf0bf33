// A backend to run a test body on, so one test body runs unchanged on the
// real runtime (Asio + io_uring) and in the simulator.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "runtime/runtime.h"

namespace rmq::test {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Runs `body` as the main task of a fresh runtime and returns when it has
  // returned and every other task has finished (they are cancelled then).
  // Fails the test (ADD_FAILURE) if the body hangs.
  virtual void run(std::function<void(rt::Runtime&)> body) = 0;
  // A fresh, empty directory for this test's files (an absolute path).
  virtual std::string scratch_dir() = 0;
};

std::unique_ptr<Backend> make_real_backend();
std::unique_ptr<Backend> make_sim_backend(uint64_t seed);

}  // namespace rmq::test
