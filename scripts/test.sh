#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds everything warning-free and runs
# every test. .ci/run calls this with CI=true (which also builds with Clang).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMQ_WERROR=ON
cmake --build build -j"$jobs"

if [ "${CI:-}" = "true" ] || [ "${RMQ_CLANG:-}" = "1" ]; then
  # The code must also build warning-free with Clang 14.
  cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMQ_WERROR=ON \
        -DCMAKE_CXX_COMPILER=clang++-14
  cmake --build build-clang -j"$jobs"
fi

if [ "${CI:-}" = "true" ] || [ "${RMQ_FUZZ_SECONDS:-}" != "" ]; then
  # Every decoder fuzzer runs clean for a while (before ctest, whose summary
  # is the closing line).
  RMQ_FUZZ_JOBS="$jobs" ./scripts/fuzz.sh "${RMQ_FUZZ_SECONDS:-60}"
fi

if [ "${CI:-}" = "true" ]; then
  # Same seed, same trace hash, whichever compiler built the simulator.
  ./scripts/same_hash_across_builds.sh build build-clang 2
fi

if [ "${CI:-}" = "true" ]; then
  # One canary per commit, in rotation (the commit count picks it): built
  # into the Clang tree, its scenario must fail (docs/simulation.md). All of
  # them: scripts/canaries.sh build.
  ./scripts/canaries.sh build-clang --rotate
fi

cd build
ctest --output-on-failure -j"$jobs" --timeout 900
