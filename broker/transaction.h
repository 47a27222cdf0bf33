// Transactional messages (reference 3.4 and 8.6; Apache RocketMQ's
// TransactionalMessageServiceImpl, EndTransactionProcessor and
// TransactionalMessageCheckService), on the same files: half messages in
// RMQ_SYS_TRANS_HALF_TOPIC queue 0, op records (tag "d", body = the half's
// queue offset) in RMQ_SYS_TRANS_OP_HALF_TOPIC queue 0, check progress as
// the consumer offsets of group CID_RMQ_SYS_TRANS.
//
// A half message (TRAN_MSG=true) is stored with its topic and queue saved in
// REAL_TOPIC/REAL_QID: consumers never see it. END_TRANSACTION with commit
// stores the message in its real queue (sysFlag COMMIT, PREPARED
// TRANSACTION OFFSET = the half's CommitLog offset) and the op record, in
// one append; rollback stores only the op record.
//
// Exactly once. A transaction is named by its producer group and its half's
// UNIQ_KEY (the producer's transactionId); a half the producer sends again
// after the transaction was settled (Java reuses a Message's UNIQ_KEY) is a
// new transaction. The service remembers every transaction it
// resolved while any half of it may still come up, so a repeated
// END_TRANSACTION, a late one for a half the checker already re-appended, or
// an answer to a check that raced the producer's own END never stores the
// message twice: the same decision again is answered SUCCESS, the opposite
// one SYSTEM_ERROR. Halves sent twice with one UNIQ_KEY (a producer's retry)
// are one transaction. (Apache's broker stores a second copy in these cases.)
//
// Check-back. Every transaction_check_interval the checker looks at the
// pending halves in queue order: one checked transaction_check_max times
// already, or born longer ago than fileReservedTime, is given up (copied to
// TRANS_CHECK_MAX_TIME_TOPIC, op record written, logged); one stored after
// the pass began waits for the next; one younger than transaction_timeout
// (or its CHECK_IMMUNITY_TIME_IN_SECONDS) waits; any other is re-appended to
// the half queue with TRANSACTION_CHECK_TIMES + 1 and CHECK_TRANSACTION_STATE
// goes for the new copy to one live connection of its producer group (any
// instance, in turn), whose END_TRANSACTION then names the copy.
//
// Restarts. load() rebuilds the state from the half and op queues from the
// saved check offsets: a half with an op record is resolved; of several
// pending halves of one transaction only the last copy stays pending; a
// pending half whose committed message is found in the index (a crash after
// the commit's append but before its op record reached the disk) is
// resolved and its op record written.
//
// All on one runtime; end(), load(), check_now() and stop() suspend.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "broker/client_registry.h"
#include "broker/consumer_offsets.h"
#include "broker/topic_manager.h"
#include "common/message_format.h"
#include "remoting/headers_transaction.h"
#include "runtime/task_set.h"
#include "store/message_store.h"

namespace rmq::broker {

class TransactionService {
 public:
  TransactionService(rt::Runtime& rt, const BrokerConfig& cfg, store::MessageStore& store, TopicManager& topics,
                     ConsumerOffsets& offsets, const ClientRegistry& clients);
  ~TransactionService();
  TransactionService(const TransactionService&) = delete;
  TransactionService& operator=(const TransactionService&) = delete;

  // Rebuilds the state (see above). Suspends.
  rt::Result<void> load();
  // Starts the checker task.
  void start();
  // Cancels the checker. Idempotent. Suspends.
  void stop();

  // A producer's half message as it is stored: REAL_TOPIC/REAL_QID saved,
  // RMQ_SYS_TRANS_HALF_TOPIC queue 0, transaction type NOT, DELAY dropped
  // (Java clients drop it too). REQUIRES: `props` are m's decoded properties.
  static void make_half(common::StoredMessage& m, common::MessageProperties props);
  // Creates the half and op topics in the topic table on first use. Suspends.
  rt::Result<void> ensure_topics();

  struct Answer {
    int32_t code = 0;
    std::string remark;
  };
  // END_TRANSACTION: commit or rollback a half message (0 = unknown is
  // answered SUCCESS and ignored). `peer` names the producer in logs.
  // Suspends.
  Answer end(const remoting::EndTransactionRequestHeader& h, const std::string& peer);

  // One check pass now (the checker task runs one every interval). Suspends.
  void check_now();

  struct Stats {
    int64_t pending = 0;       // halves waiting for a decision
    int64_t committed = 0;     // since start
    int64_t rolled_back = 0;
    int64_t discarded = 0;     // given up after transaction_check_max checks
    int64_t checks_sent = 0;   // CHECK_TRANSACTION_STATE requests
    int64_t check_offset = 0;  // half queue offset below which every half is settled
  };
  Stats stats() const;

 private:
  enum class Outcome { commit, rollback, discarded, done /* an op record; which one is not recorded */ };
  struct Half {
    int64_t offset = 0;  // half queue offset
    int64_t phys = 0;
    int32_t size = 0;
    std::string uniq;    // UNIQ_KEY (the producer's transaction id), may be empty
    std::string txn;     // transaction_id()
    std::string group;   // PGROUP
    std::string real_topic;  // REAL_TOPIC
    int64_t born_ms = 0;
    int64_t store_ms = 0;
    int32_t check_times = 0;
    int64_t immunity_ms = -1;  // CHECK_IMMUNITY_TIME_IN_SECONDS, -1 when absent
  };
  struct Resolved {
    Outcome outcome = Outcome::done;
    rt::Instant at{};
    int64_t max_offset = -1;  // the last half queue offset it settled
  };

  // A transaction: its producer group and UNIQ_KEY; "@<offset>" without one.
  static std::string transaction_id(const std::string& group, const std::string& uniq, int64_t offset);
  // Whether `h`, of a transaction already settled, is a new transaction
  // (the producer sent the same message again) rather than another half of
  // the settled one.
  static bool new_transaction(const Half& h, const Resolved& settled);

  // `txn` is being ended (an END_TRANSACTION or a give-up storing its
  // records) while this lives, also when its task is cancelled.
  class InFlight {
   public:
    InFlight(TransactionService& s, std::string txn);  // REQUIRES: not already in flight
    ~InFlight();
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    TransactionService& s_;
    std::string txn_;
    std::shared_ptr<rt::Event> done_;
  };
  // Suspends while `txn` is being ended; false when that took too long.
  bool wait_until_ended(const std::string& txn);

  static Half half_of(const common::StoredMessage& m);
  // The next units of the half or op queue from `scan`, which moves up to
  // the queue's minimum when it aged out.
  rt::Result<std::vector<store::CqUnit>> next_units(const char* topic, int64_t& scan);
  rt::Result<void> ingest();
  void add_pending(const Half& h);
  void remove_pending(int64_t offset);
  void resolve(const std::string& txn, Outcome outcome, const std::vector<int64_t>& offsets);
  std::vector<int64_t> pending_of(const std::string& txn) const;
  common::StoredMessage op_record(int64_t half_offset) const;
  rt::Result<void> write_ops(const std::vector<int64_t>& half_offsets);
  Answer commit_or_rollback(const remoting::EndTransactionRequestHeader& h, const common::StoredMessage& half,
                            const std::string& txn, const std::string& peer);
  void check_pass();
  void check_one(const Half& h);
  // Gives the transaction up: `copy` moves the half to
  // TRANS_CHECK_MAX_TIME_TOPIC first.
  void discard(const Half& h, const std::string& why, bool copy = true);
  void send_check(const Half& copy, const common::StoredMessage& copy_record);
  rt::Result<void> repair_committed();
  void advance_offsets();
  void checker_loop();

  rt::Runtime& rt_;
  const BrokerConfig& cfg_;
  store::MessageStore& store_;
  TopicManager& topics_;
  ConsumerOffsets& offsets_;
  const ClientRegistry& clients_;

  std::map<int64_t, Half> pending_;                          // by half queue offset
  std::map<std::string, std::set<int64_t>> pending_txns_;    // txn -> its pending halves
  std::map<std::string, Resolved> resolved_;                 // txn -> how it ended
  std::set<int64_t> done_offsets_;                           // halves with an op record, >= check_offset_
  std::map<int64_t, int64_t> ops_;                           // op queue offset -> half offset, >= op_check_offset_
  std::map<std::string, std::shared_ptr<rt::Event>> in_flight_;  // txn -> set when its END is done
  int64_t check_offset_ = 0;     // halves below are settled
  int64_t op_check_offset_ = 0;  // op records below name halves below check_offset_
  int64_t half_scan_ = 0;        // next half to read
  int64_t op_scan_ = 0;          // next op record to read
  uint64_t next_producer_ = 0;   // round-robin over a group's connections
  Stats stats_;
  rt::Mutex pass_;
  std::vector<rt::Task> tasks_;
  // CHECK_TRANSACTION_STATE requests, one task each so a slow producer
  // holds up no pass; joined at stop(). Past the bound a check is skipped
  // and logged (it still counts toward the half's transactionCheckMax).
  static constexpr size_t kChecksInFlightMax = 4096;
  rt::TaskSet checks_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace rmq::broker
