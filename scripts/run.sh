#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds, and runs the main job. Until the
# broker lands, that is the simulator's demo cluster: several nodes pinging
# each other and journaling to disk under crashes, power loss and network
# faults, checked and printed with its trace hash.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" --target rmq-sim
exec build/tools/rmq-sim run --scenario ping --seed "${SEED:-7}"
