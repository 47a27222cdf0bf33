#include "scenarios/canaries.h"

namespace rmq::scenarios {

const std::vector<CanaryCheck>& canary_checks() {
  using common::Canary;
  static const std::vector<CanaryCheck> kChecks = {
      {Canary::store_sync_ack_early, "broker-power-loss", 20},
      {Canary::store_delay_level_short, "delay-crash", 20},
      {Canary::broker_long_poll_no_wakeup, "long-poll", 20},
      {Canary::broker_dlq_one_early, "retry-dlq", 20},
      {Canary::broker_offset_commit_ahead, "consumer-crash", 20},
      {Canary::broker_tx_check_rollback_commits, "transaction-crash", 20},
      {Canary::client_allocate_gap, "cluster", 20},
      {Canary::client_orderly_unlocked, "orderly-rebalance", 20},
      {Canary::namesrv_expiry_one_interval, "registration-at-scale", 20},
  };
  return kChecks;
}

}  // namespace rmq::scenarios
