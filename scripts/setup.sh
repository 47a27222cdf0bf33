#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Idempotent: asks apt only for what is missing; safe to run on every build.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ clang-14 libclang-rt-14-dev pkg-config
  libboost-context1.81-dev libboost-json1.81-dev
  libasio-dev liburing-dev libfmt-dev zlib1g-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  redis-server redis-tools iperf3    # bench/peers.sh and its CTest bench_peers_quick
  iproute2 nftables                  # rmq-chaos: network namespaces and partitions
  prometheus                         # promtool: tests/tools/metrics_cli_test.sh checks /metrics
  chromium                           # headless: tests/scenarios/timeline_chromium_test.sh renders timelines
)

# The ali-ons interop test (tests/interop/run.sh) needs node and npm. Any
# install will do (nvm, NodeSource, ...); Debian's only when npm is missing.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
