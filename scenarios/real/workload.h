// rmq-chaos's workload: a scenario's producers and consumers as real
// processes on the real runtime and the C++ client, each appending what it
// did to a history file, one line per record, written before the next step
// (a SIGKILL loses nothing it recorded). The runner reads the files back
// into one scenarios::history::History for the checkers.
//
// Lines (tab-separated; bodies are printable without tabs):
//   invoke  <key> <producer> <invoked_ns> <body> [<delay_ms> <sharding_key|-> <parked 0|1>]
//   acked   <key> <broker> <queue_id> <queue_offset> <msg_id> <completed_ns>
//   failed  <key> <completed_ns>            (refused, or a transaction rolled back)
//   deliver <group> <consumer> <key> <msg_id> <topic> <broker> <queue_id> <queue_offset> <reconsume> <at_ns> <body>
//   restart   <consumer> <at_ns>                       (a consumer process started)
//   rebalance <group> <consumer> <at_ns> <topic@broker:queue,...>
// Times are the machine's monotonic clock (the same in every process).
//
// What producers send (scenarios/real/shape.h): plain messages, or by
// sharding key, or with delay levels 1-3, or in transactions decided by the
// key (one in four rolled back; a check-back from the broker, to any
// instance of the group, gets the same answer from the key alone).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/history.h"

namespace rmq::chaos {

inline constexpr const char* kChaosTopic = "ChaosTopic";
inline constexpr int kChaosQueuesPerBroker = 4;

struct WorkerArgs {
  std::string role;  // producer | consumer
  int id = 0;
  std::vector<std::string> namesrvs;
  std::vector<std::string> brokers;  // producer 0 creates the topic on each (the masters)
  std::string ip;                    // the node's address: the client id's IP
  std::string history_path;
  std::string topic = kChaosTopic;
  int count = 100;          // producer: messages
  int gap_ms_max = 200;     // producer: between sends
  double delay_share = 0;   // producer: sends with a delay level
  bool orderly = false;     // producer: by sharding key; consumer: orderly listener
  bool transactional = false;
  std::string group;        // consumer
  bool broadcasting = false;
  double failure_share = 0;  // consumer: deliveries answered "later" (at most 3 times a message)
};

// Parses `rmq-chaos worker ...` arguments (after "worker"); empty on
// success, else what is wrong.
std::string parse_worker_args(const std::vector<std::string>& args, WorkerArgs& out);
// Runs the worker until it is done (producer) or stopped by SIGTERM
// (consumer). Its exit status.
int run_worker(const WorkerArgs& a);

// Reads every history file into `h` (sends and deliveries). Lines it cannot
// read are counted in `bad_lines` (a torn last line of a killed process is
// expected; others are not).
void read_histories(const std::vector<std::string>& paths, scenarios::history::History& h, int& bad_lines);

}  // namespace rmq::chaos
