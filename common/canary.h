// Canaries: small, realistic bugs that a build can compile in on purpose
// (cmake -DRMQ_CANARY=<name>), one at a time, to prove that the simulator's
// scenarios and checkers still catch each class of bug. A normal build has
// none: every site includes its canary's generated header and reads
//
//   #include "common/canary/store_sync_ack_early.h"
//   if constexpr (common::canary::store_sync_ack_early) { ...the bug... }
//
// so the branch is compiled out. This list is the one source of the names
// (CMake reads it to generate the headers). scenarios/canaries.cc says which scenario
// catches each one; scripts/canaries.sh builds and runs them;
// docs/simulation.md keeps the table of seeds to the first failure.
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace rmq::common {

enum class Canary {
  none,
  store_sync_ack_early,        // SYNC_FLUSH acknowledges a put once written, before its fdatasync
  store_delay_level_short,     // a delay level's time is the level below's
  broker_long_poll_no_wakeup,  // an arriving message does not wake the pulls held on its queue
  broker_dlq_one_early,        // a message goes to the DLQ one redelivery early
  broker_offset_commit_ahead,  // a committed consumer offset is stored one past what was committed
  broker_tx_check_rollback_commits,  // a rollback answered to a check-back commits the transaction
  client_allocate_gap,         // allocate-averagely forgets the remainder: two members share queues, some have none
  client_orderly_unlocked,     // an orderly member consumes a queue whose lock it did not get
  namesrv_expiry_one_interval, // a broker is dropped after one missed 30 s registration, not after 120 s
};

inline constexpr std::array<std::pair<Canary, std::string_view>, 9> kCanaries = {{
    {Canary::store_sync_ack_early, "store_sync_ack_early"},
    {Canary::store_delay_level_short, "store_delay_level_short"},
    {Canary::broker_long_poll_no_wakeup, "broker_long_poll_no_wakeup"},
    {Canary::broker_dlq_one_early, "broker_dlq_one_early"},
    {Canary::broker_offset_commit_ahead, "broker_offset_commit_ahead"},
    {Canary::broker_tx_check_rollback_commits, "broker_tx_check_rollback_commits"},
    {Canary::client_allocate_gap, "client_allocate_gap"},
    {Canary::client_orderly_unlocked, "client_orderly_unlocked"},
    {Canary::namesrv_expiry_one_interval, "namesrv_expiry_one_interval"},
}};

std::string_view to_string(Canary c);

// The canary this build compiles in (Canary::none normally).
Canary selected_canary();

}  // namespace rmq::common
