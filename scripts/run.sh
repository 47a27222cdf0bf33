#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds, and runs the main job: a NameServer
# on 127.0.0.1:9876 and a broker on 127.0.0.1:10911 (conf/broker.conf), with
# their data under ./data. Point any RocketMQ 4.x client at 127.0.0.1:9876.
# Ctrl-C (or SIGTERM) stops both cleanly: the broker saves its offsets and
# closes its store first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" --target rmq-namesrv rmq-broker
mkdir -p data/namesrv
build/tools/rmq-namesrv --bindAddress=127.0.0.1 --kvConfigPath=data/namesrv/kvConfig.json &
namesrv=$!
build/tools/rmq-broker -c conf/broker.conf --bindAddress=127.0.0.1 &
broker=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM "$broker" 2>/dev/null || true
  wait "$broker" 2>/dev/null || true
  kill -TERM "$namesrv" 2>/dev/null || true
  wait "$namesrv" 2>/dev/null || true
}
trap stop INT TERM EXIT
# Runs until either server exits (or Ctrl-C).
wait -n "$namesrv" "$broker" || true
