#include "remoting/headers_transaction.h"

#include "remoting/header_fields.h"

namespace rmq::remoting {

rt::Result<EndTransactionRequestHeader> EndTransactionRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  EndTransactionRequestHeader h;
  h.producer_group = r.req_string("producerGroup");
  h.tran_state_table_offset = r.req_int64("tranStateTableOffset");
  h.commit_log_offset = r.req_int64("commitLogOffset");
  h.commit_or_rollback = r.req_int32("commitOrRollback");
  h.from_transaction_check = r.opt_bool("fromTransactionCheck").value_or(false);
  h.msg_id = r.req_string("msgId");
  h.transaction_id = r.opt_string("transactionId");
  auto done = r.finish(std::move(h));
  if (done && done->commit_or_rollback != kTransactionNotType && done->commit_or_rollback != kTransactionCommitType &&
      done->commit_or_rollback != kTransactionRollbackType)
    return rt::Error(rt::Errc::invalid_argument,
                     "commitOrRollback field wrong: " + std::to_string(done->commit_or_rollback) +
                         " (expected 0, 8 or 12)");
  return done;
}

void EndTransactionRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "producerGroup", producer_group);
  put_field(c, "tranStateTableOffset", tran_state_table_offset);
  put_field(c, "commitLogOffset", commit_log_offset);
  put_field(c, "commitOrRollback", commit_or_rollback);
  put_field(c, "fromTransactionCheck", from_transaction_check);
  put_field(c, "msgId", msg_id);
  put_field(c, "transactionId", transaction_id);
}

rt::Result<CheckTransactionStateRequestHeader> CheckTransactionStateRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  CheckTransactionStateRequestHeader h;
  h.tran_state_table_offset = r.req_int64("tranStateTableOffset");
  h.commit_log_offset = r.req_int64("commitLogOffset");
  h.msg_id = r.opt_string("msgId");
  h.transaction_id = r.opt_string("transactionId");
  h.offset_msg_id = r.opt_string("offsetMsgId");
  return r.finish(std::move(h));
}

void CheckTransactionStateRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "tranStateTableOffset", tran_state_table_offset);
  put_field(c, "commitLogOffset", commit_log_offset);
  put_field(c, "msgId", msg_id);
  put_field(c, "transactionId", transaction_id);
  put_field(c, "offsetMsgId", offset_msg_id);
}

}  // namespace rmq::remoting
