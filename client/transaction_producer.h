// Transactional producer (RocketMQ's TransactionMQProducer; reference 3.4,
// 8.6): a message that becomes visible to consumers only if a local
// transaction commits.
//
//   client::TransactionProducer p(mq, {.group = "TPG"}, [&](const client::ReceivedMessage& half) {
//     return db.has(half.keys) ? LocalTransactionState::commit : LocalTransactionState::unknown;
//   });
//   auto r = p.send_in_transaction({.topic = "T", .keys = "order-7", .body = "..."},
//                                  [&](const client::Message&, const client::SendResult&) {
//                                    return db.insert("order-7") ? LocalTransactionState::commit
//                                                                : LocalTransactionState::rollback;
//                                  });
//
// send_in_transaction() stores a half message (TRAN_MSG=true, PGROUP) with
// the producer's retries — but none after an attempt that may have been
// stored (a timeout): RocketMQ's Java producer retries those too, and the
// second half message is then committed by its check-back as a second copy
// of the transaction — runs the local transaction once the broker took
// it, and tells the broker the outcome with END_TRANSACTION (oneway, as Java
// does: a lost one is settled by a check). A half the broker stored but
// could not flush or replicate in time (FLUSH_DISK_TIMEOUT, ...) is rolled
// back without running the local transaction, as RocketMQ's producer does.
// "unknown" leaves the decision to the broker's check-back: the broker asks
// any instance of the producer group (CHECK_TRANSACTION_STATE) after
// transactionTimeOut and every transactionCheckInterval after that, up to
// transactionCheckMax times; the check listener answers from what the local
// transaction left behind. A listener that throws answers unknown.
//
// Destroying the producer waits for the checks it is answering. One
// transaction producer per group per client answers checks (a second one of
// the group logs an error and leaves them to the first, as RocketMQ refuses
// a second producer of a group).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "client/consumer_common.h"
#include "client/producer.h"

namespace rmq::client {

enum class LocalTransactionState { commit, rollback, unknown };
std::string_view to_string(LocalTransactionState s);

struct TransactionSendResult {
  SendResult send{};
  // The local transaction's answer; rollback when the half was not stored
  // cleanly (and the local transaction not run), unknown when it failed.
  LocalTransactionState local_state = LocalTransactionState::unknown;
  bool end_sent = false;  // END_TRANSACTION was written to the broker
};

class TransactionProducer {
 public:
  using LocalTransaction = std::function<LocalTransactionState(const Message& m, const SendResult& half)>;
  using CheckListener = std::function<LocalTransactionState(const ReceivedMessage& half)>;

  TransactionProducer(MqClient& client, ProducerConfig cfg, CheckListener check);
  ~TransactionProducer();  // waits for running checks; suspends
  TransactionProducer(const TransactionProducer&) = delete;
  TransactionProducer& operator=(const TransactionProducer&) = delete;

  // Suspends. A send that failed has status failed and ran nothing.
  TransactionSendResult send_in_transaction(const Message& m, const LocalTransaction& local);

  int64_t checks_answered() const { return checks_answered_; }

 private:
  void on_check(const std::string& broker_addr, const remoting::CheckTransactionStateRequestHeader& h,
                const common::StoredMessage& half);
  rt::Result<void> end_transaction(const std::string& broker_addr, const remoting::EndTransactionRequestHeader& h,
                                   const std::string& remark);

  MqClient& client_;
  ProducerConfig cfg_;
  Producer producer_;
  CheckListener check_;
  std::optional<uint64_t> registration_;  // none: another producer of the group answers checks
  int checks_running_ = 0;
  int64_t checks_answered_ = 0;
  rt::Event checks_idle_;
};

}  // namespace rmq::client
