#include "scenarios/scenario.h"

namespace rmq::scenarios {

const std::vector<Scenario>& all_scenarios() {
  static const std::vector<Scenario> kAll = {
      {"ping",
       "echo pings stay intact and journal records survive what their acknowledgement promised, "
       "under crashes, power loss, partitions, clogs, resets and slow disks",
       run_ping},
      {"broker-crash", "under ASYNC_FLUSH no acknowledged message is lost across broker process crashes and restarts",
       run_broker_crash},
      {"broker-power-loss", "under SYNC_FLUSH no acknowledged message is lost across broker power losses",
       run_broker_power_loss},
      {"long-poll", "a message arriving while a pull is held is delivered within 1 ms of being stored", run_long_poll},
      {"consumer-heartbeat-loss",
       "a consumer silent for over 120 s is dropped within one scan after, not before, and its group is notified",
       run_consumer_heartbeat_loss},
      {"cluster",
       "with broker crashes, every acknowledged message reaches a clustering group of 3 and each member of a "
       "broadcasting group of 2, intact; duplicates counted with their cause",
       run_cluster},
      {"namesrvs-down", "with every namesrv down for 10 minutes, clients keep sending and consuming on cached routes",
       run_namesrvs_down},
      {"broker-namesrv-heartbeat-loss",
       "a broker cut off from the namesrvs drops out of the routes; producers move to the other broker; nothing "
       "acknowledged is lost",
       run_broker_namesrv_heartbeat_loss},
      {"consumer-crash",
       "after a clustering consumer crashes the survivors own every queue exactly once and receive everything",
       run_consumer_crash},
      {"slow-disk-sync", "SYNC_FLUSH on slow, stalling disks: sends time out or fail, never acknowledged then lost",
       run_slow_disk_sync},
      {"orderly-rebalance",
       "orderly groups keep queue and sharding-key order while members join, leave and crash; no two members are "
       "ever inside one queue's listener at once",
       run_orderly_rebalance},
      {"delay-crash",
       "delayed and retried messages survive broker crashes and power loss (SYNC_FLUSH); none is delivered before "
       "its time, each within its time + 1 s whenever its broker was up",
       run_delay_crash},
      {"retry-dlq",
       "a failing message is redelivered 10 s, 30 s, 1 m after each failure and reaches the DLQ after exactly "
       "maxReconsumeTimes redeliveries; every other one is consumed",
       run_retry_dlq},
      {"transaction-crash",
       "with producers crashing between half message and end and brokers crashing, consumers see exactly the "
       "committed transactions, once each; check-backs reach the surviving instances",
       run_transaction_crash},
      {"master-crash",
       "two SYNC_MASTER + SLAVE groups; a master loses power for good: every SEND_OK message is read back from its "
       "slave, intact, and consumers carry on there",
       run_master_crash},
      {"ha-partition",
       "master and slave cut apart and clogged, the slave's disk slow: SYNC_MASTER never answers SEND_OK for bytes "
       "the slave lacks; healed, the slave's CommitLog is a byte-identical prefix of the master's, queues equal",
       run_ha_partition},
      {"async-master-loss",
       "an ASYNC_MASTER loses power for good: the slave keeps all it acknowledged; acknowledged messages lost are "
       "counted (bounded by the replication lag at the crash) and reported, not failed",
       run_async_master_loss},
      {"registration-at-scale",
       "a broker with 50 000 topics on slow, lossy links to two namesrvs is never dropped while alive; its "
       "steady-state heartbeat is a keep-alive whose size does not depend on the topic count",
       run_registration_at_scale},
      {"chaos",
       "whatever mix of faults, cluster configuration and workload a seed draws, every acknowledged message reaches "
       "the clustering group and each broadcasting member, intact, under the durability the configuration promises",
       run_chaos},
  };
  return kAll;
}

const Scenario* find_scenario(const std::string& name) {
  for (const auto& s : all_scenarios())
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace rmq::scenarios
