// END_TRANSACTION (37): a producer commits or rolls back a half message
// (reference 3.4, 8.6). Java producers send it oneway, so the answer is
// mostly for the refusal log and for clients that wait for it.
#include "broker/broker.h"
#include "broker/reply.h"
#include "remoting/codes.h"
#include "remoting/headers_transaction.h"

namespace rmq::broker {

namespace rs = remoting::response_code;

Reply Broker::on_end_transaction(remoting::Connection& from, Command& req) {
  if (cfg_.slave())
    return error_reply(req, rs::kSlaveNotAvailable, "Message store is slave mode, so end transaction is forbidden.");
  auto h = remoting::EndTransactionRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const TransactionService::Answer a = transactions_->end(*h, from.peer_address());
  if (a.code != rs::kSuccess) return error_reply(req, a.code, a.remark);
  return Command::response_to(req, rs::kSuccess);
}

}  // namespace rmq::broker
