// Transaction commands (reference 3.4): END_TRANSACTION (37, producer ->
// broker, oneway) and CHECK_TRANSACTION_STATE (39, broker -> producer,
// oneway, with the half message as body).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// commitOrRollback values: MessageSysFlag's transaction types.
inline constexpr int32_t kTransactionNotType = 0;       // unknown: the broker asks again later
inline constexpr int32_t kTransactionCommitType = 8;
inline constexpr int32_t kTransactionRollbackType = 12;

// END_TRANSACTION (37).
struct EndTransactionRequestHeader {
  std::string producer_group;
  int64_t tran_state_table_offset = 0;  // the half message's queue offset (the send result's)
  int64_t commit_log_offset = 0;        // the half message's CommitLog offset (from its offset msgId)
  int32_t commit_or_rollback = kTransactionNotType;
  bool from_transaction_check = false;
  std::string msg_id;                   // UNIQ_KEY
  std::optional<std::string> transaction_id;
  // Errc::invalid_argument for a missing field or a commitOrRollback other
  // than 0, 8 or 12 (Java's checkFields: "commitOrRollback field wrong").
  static rt::Result<EndTransactionRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

// CHECK_TRANSACTION_STATE (39).
struct CheckTransactionStateRequestHeader {
  int64_t tran_state_table_offset = 0;
  int64_t commit_log_offset = 0;
  std::optional<std::string> msg_id;          // UNIQ_KEY
  std::optional<std::string> transaction_id;  // = msg_id
  std::optional<std::string> offset_msg_id;
  static rt::Result<CheckTransactionStateRequestHeader> decode(const RemotingCommand& c);
  void encode(RemotingCommand& c) const;
};

}  // namespace rmq::remoting
