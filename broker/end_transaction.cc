// END_TRANSACTION (37): a producer commits or rolls back a half message
// (reference 3.4, 8.6). Java producers send it oneway, so the answer is
// mostly for the refusal log and for clients that wait for it.
#include "broker/processor_context.h"
#include "broker/reply.h"
#include "remoting/codes.h"
#include "remoting/headers_transaction.h"

namespace rmq::broker {

namespace rs = remoting::response_code;

Reply end_transaction(ProcessorContext& c, remoting::Connection& from, remoting::RemotingCommand& req) {
  if (c.cfg.slave() || !c.transactions)
    return error_reply(req, rs::kSlaveNotAvailable, "Message store is slave mode, so end transaction is forbidden.");
  auto h = remoting::EndTransactionRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const TransactionService::Answer a = c.transactions->end(*h, from.peer_address());
  if (a.code != rs::kSuccess) return error_reply(req, a.code, a.remark);
  return remoting::RemotingCommand::response_to(req, rs::kSuccess);
}

}  // namespace rmq::broker
