// Tunables of the simulated network and disks. Every number has its unit in
// its name; defaults model a healthy LAN and an SSD.
#pragma once

#include <chrono>
#include <cstdint>

#include "runtime/runtime.h"

namespace rmq::sim {

using namespace std::chrono_literals;
using rt::Duration;

struct NetConfig {
  // One-way latency of a segment, uniform in [min, max].
  Duration latency_min = 50us;
  Duration latency_max = 500us;
  // Long tail: with this probability a segment is late by up to tail_max
  // more (order is kept: later segments wait behind it).
  double latency_tail_probability = 0.01;
  Duration latency_tail_max = 20ms;
  // Retransmission interval while a link is partitioned.
  Duration retransmit_interval = 200ms;
  // A segment stuck this long (a partition that does not heal) resets the
  // connection, like TCP giving up after its retries.
  Duration give_up_after = 300s;
  // SYN retry interval while connecting across a partition.
  Duration syn_retry_interval = 1s;
  // Bytes a writer may have in flight or unread before write_all waits.
  uint64_t window_bytes = 256 * 1024;
  // Largest segment; writes are cut into segments of at most this size.
  uint64_t segment_bytes_max = 64 * 1024;
  // Probability that a write is cut into random small segments (so readers
  // see partial frames).
  double fragment_probability = 0.0;
  // Pending connections per listener beyond which SYNs are dropped.
  uint32_t accept_backlog_max = 128;
};

struct DiskConfig {
  // Latency of read/write/truncate, uniform in [min, max].
  Duration op_latency_min = 5us;
  Duration op_latency_max = 50us;
  // Latency of sync (fdatasync) and sync_dir.
  Duration sync_latency_min = 200us;
  Duration sync_latency_max = 2ms;
  // Slow disk: with this probability an operation takes `slow_extra` longer.
  double slow_probability = 0.0;
  Duration slow_extra = 50ms;
  // fsync stall: with this probability a sync takes `sync_stall` longer.
  double sync_stall_probability = 0.0;
  Duration sync_stall = 3s;
  // With this probability a read returns data with one flipped bit (the
  // stored bytes stay intact).
  double read_corruption_probability = 0.0;
  // With this probability a sync fails with Errc::io_error (nothing becomes
  // durable by it).
  double sync_error_probability = 0.0;
  // Writes that would grow the disk past this fail with Errc::no_space.
  uint64_t capacity_bytes = uint64_t{1} << 30;
  // Power loss tears the unsynced tail at this granularity.
  uint64_t sector_bytes = 512;
};

// Scheduling perturbation, BUGGIFY-like: drawn per seed by the scenarios,
// still deterministic. It moves events that the defaults keep in a fixed
// order, so that a crash, a wake-up or an arrival can land while a request
// is suspended mid-read or mid-write.
struct Perturbation {
  // Events of nodes due at the same time run in a seeded random order
  // (control events, the fault plan's and the driver's, still run first,
  // in the order they were scheduled).
  bool shuffle_ties = false;
  // With this probability a disk operation or a network segment completes
  // up to io_delay_max later than its latency.
  double io_delay_probability = 0.0;
  Duration io_delay_max = 2ms;
};

// The wall clock of a node: wall = epoch + now * (1 + drift_ppm / 1e6) + skew.
struct ClockConfig {
  int64_t skew_ms = 0;
  double drift_ppm = 0.0;
};

}  // namespace rmq::sim
