// remoting/codes.h: values and names agree with the reference tables.
#include "remoting/codes.h"

#include <gtest/gtest.h>

#include <set>
#include <span>

namespace rmq::remoting {
namespace {

TEST(Codes, ConstantsHaveReferenceValues) {
  static_assert(request_code::kSendMessage == 10);
  static_assert(request_code::kSendMessageV2 == 310);
  static_assert(request_code::kHeartBeat == 34);
  static_assert(request_code::kGetRouteinfoByTopic == 105);
  static_assert(request_code::kRegisterBroker == 103);
  static_assert(request_code::kGetBrokerClusterInfo == 106);
  static_assert(request_code::kLitePullMessage == 361);
  static_assert(request_code::kUpdateAndCreateAclConfig == 50);
  static_assert(request_code::kPopMessage == 200050);
  static_assert(request_code::kPopRollback == 200056);
  static_assert(request_code::kBatchAckMessage == 200151);
  static_assert(response_code::kSuccess == 0);
  static_assert(response_code::kSystemError == 1);
  static_assert(response_code::kSystemBusy == 2);
  static_assert(response_code::kRequestCodeNotSupported == 3);
  static_assert(response_code::kTopicNotExist == 17);
  static_assert(response_code::kQueryNotFound == 22);
  static_assert(response_code::kPullNotFound == 19);
  static_assert(response_code::kTransactionStateUnknow == 202);
  static_assert(response_code::kGoAway == 1500);
  static_assert(response_code::kRpcTimeOut == -1006);
}

TEST(Codes, NamesAreTheJavaNames) {
  EXPECT_EQ(request_code_name(10), "SEND_MESSAGE");
  EXPECT_EQ(request_code_name(request_code::kGetRouteinfoByTopic), "GET_ROUTEINFO_BY_TOPIC");
  EXPECT_EQ(request_code_name(200054), "NOTIFICATION");
  EXPECT_EQ(request_code_name(999999), "UNKNOWN");
  EXPECT_EQ(response_code_name(0), "SUCCESS");
  EXPECT_EQ(response_code_name(17), "TOPIC_NOT_EXIST");
  EXPECT_EQ(response_code_name(12345), "UNKNOWN");
  static_assert(request_code_name(34) == "HEART_BEAT");
}

TEST(Codes, TablesAreAscendingAndNamesUnique) {
  for (std::span<const CodeName> table : {std::span<const CodeName>(request_code::kAll),
                                          std::span<const CodeName>(response_code::kAll)}) {
    std::set<std::string_view> names;
    int32_t prev = INT32_MIN;
    for (const auto& e : table) {
      EXPECT_GE(e.code, prev) << e.name;
      prev = e.code;
      EXPECT_TRUE(names.insert(e.name).second) << e.name;
    }
  }
}

TEST(Codes, SharedValuesAreOnlyTheFourXAndFiveXRenames) {
  // 209-211 are ACL failures in 4.x and POP polling codes in 5.x.
  EXPECT_EQ(response_code::kPollingFull, response_code::kUpdateAndCreateAclConfigFailed);
  EXPECT_EQ(response_code_name(209), "POLLING_FULL");
  std::set<int32_t> seen;
  for (const auto& e : request_code::kAll) EXPECT_TRUE(seen.insert(e.code).second) << e.name;
}

}  // namespace
}  // namespace rmq::remoting
