#include "client/transaction_producer.h"

#include <exception>

#include "common/message_const.h"
#include "remoting/codes.h"

namespace rmq::client {

namespace rc = remoting::request_code;
using remoting::RemotingCommand;

namespace {

int32_t commit_or_rollback(LocalTransactionState s) {
  switch (s) {
    case LocalTransactionState::commit: return remoting::kTransactionCommitType;
    case LocalTransactionState::rollback: return remoting::kTransactionRollbackType;
    case LocalTransactionState::unknown: return remoting::kTransactionNotType;
  }
  return remoting::kTransactionNotType;
}

// Runs a user callback; an exception (never a task's cancellation) counts
// as unknown.
template <class Fn>
LocalTransactionState run_guarded(Fn&& fn, std::string& error) {
  try {
    return fn();
  } catch (const std::exception& e) {
    error = e.what();
    return LocalTransactionState::unknown;
  }
}

}  // namespace

std::string_view to_string(LocalTransactionState s) {
  switch (s) {
    case LocalTransactionState::commit: return "COMMIT_MESSAGE";
    case LocalTransactionState::rollback: return "ROLLBACK_MESSAGE";
    case LocalTransactionState::unknown: return "UNKNOW";
  }
  return "UNKNOW";
}

TransactionProducer::TransactionProducer(MqClient& client, ProducerConfig cfg, CheckListener check)
    : client_(client), cfg_(cfg), producer_(client, std::move(cfg)), check_(std::move(check)),
      checks_idle_(client.runtime()) {
  registration_ = client_.add_transaction_checker(
      cfg_.group, [this](const std::string& broker, const remoting::CheckTransactionStateRequestHeader& h,
                         const common::StoredMessage& half) { on_check(broker, h, half); });
  if (!registration_)
    client_.runtime().log(rt::LogLevel::error, "transaction producer: group " + cfg_.group +
                                                   " already has a transaction producer in this client; it answers "
                                                   "the checks");
}

TransactionProducer::~TransactionProducer() {
  if (registration_) client_.remove_transaction_checker(cfg_.group, *registration_);
  while (checks_running_ > 0) {
    checks_idle_.reset();
    (void)checks_idle_.wait();
  }
}

TransactionSendResult TransactionProducer::send_in_transaction(const Message& m, const LocalTransaction& local) {
  TransactionSendResult out;
  Message half = m;
  half.delay_level = 0;  // a half message is never delayed (RocketMQ clears it too)
  half.properties[common::kPropTransactionPrepared] = "true";
  half.properties[common::kPropProducerGroup] = cfg_.group;
  // Not retried after an attempt that may have been stored: a second half
  // message (on another broker, say) would be checked back and committed as
  // a second transaction. That half is checked back and, with no record of
  // it in the local transaction, settled by the check listener.
  out.send = producer_.send_at_most_once(half);
  if (out.send.status == SendStatus::failed) return out;
  std::string error;
  if (out.send.ok()) {
    out.local_state = run_guarded([&] { return local(m, out.send); }, error);
  } else {
    out.local_state = LocalTransactionState::rollback;  // stored, but not durably in time
  }
  auto id = common::parse_offset_msg_id(out.send.offset_msg_id);
  auto addr = client_.master_address(out.send.queue.broker_name);
  if (!id || !addr) {
    client_.runtime().log(rt::LogLevel::warn, "transaction producer: no broker to end transaction " + out.send.msg_id +
                                                  "; the broker will check it");
    return out;
  }
  remoting::EndTransactionRequestHeader h;
  h.producer_group = cfg_.group;
  h.tran_state_table_offset = out.send.queue_offset;
  h.commit_log_offset = id->commit_log_offset;
  h.commit_or_rollback = commit_or_rollback(out.local_state);
  h.msg_id = out.send.msg_id;
  h.transaction_id = out.send.msg_id;
  auto sent = end_transaction(*addr, h, error);
  out.end_sent = sent.ok();
  if (!sent)
    client_.runtime().log(rt::LogLevel::warn, "transaction producer: END_TRANSACTION for " + out.send.msg_id +
                                                  " not sent (" + sent.error().message() + "); the broker will check it");
  return out;
}

rt::Result<void> TransactionProducer::end_transaction(const std::string& broker_addr,
                                                      const remoting::EndTransactionRequestHeader& h,
                                                      const std::string& remark) {
  auto req = RemotingCommand::request(rc::kEndTransaction);
  h.encode(req);
  if (!remark.empty()) req.remark = remark;
  return client_.rpc().invoke_oneway(broker_addr, std::move(req));
}

void TransactionProducer::on_check(const std::string& broker_addr,
                                   const remoting::CheckTransactionStateRequestHeader& h,
                                   const common::StoredMessage& half) {
  ++checks_running_;
  struct Done {
    TransactionProducer& p;
    ~Done() {
      --p.checks_running_;
      p.checks_idle_.set();
    }
  } done{*this};
  auto msg = received_message(half, MessageQueue{half.topic, "", half.queue_id});
  if (!msg) {
    client_.runtime().log(rt::LogLevel::warn, "transaction producer: a checked half message " + msg.error().message());
    return;
  }
  std::string error;
  const LocalTransactionState state = run_guarded([&] { return check_(*msg); }, error);
  remoting::EndTransactionRequestHeader end;
  end.producer_group = cfg_.group;
  end.tran_state_table_offset = h.tran_state_table_offset;
  end.commit_log_offset = h.commit_log_offset;
  end.commit_or_rollback = commit_or_rollback(state);
  end.from_transaction_check = true;
  end.msg_id = msg->msg_id;
  end.transaction_id = h.transaction_id;
  if (auto sent = end_transaction(broker_addr, end, error); !sent)
    client_.runtime().log(rt::LogLevel::warn, "transaction producer: answering a check for " + msg->msg_id + ": " +
                                                  sent.error().message());
  ++checks_answered_;
}

}  // namespace rmq::client
