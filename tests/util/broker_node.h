// The body of a simulated broker node in the tests: starts the broker (the
// test fails if it cannot), points `slot` at it while it serves and clears
// it when the node goes down.
#pragma once

#include <gtest/gtest.h>

#include "broker/broker.h"

namespace rmq::test {

inline void serve_broker(rt::Runtime& rt, const broker::BrokerConfig& cfg, broker::Broker*& slot) {
  broker::Broker b(rt, cfg);
  auto started = b.start();
  ASSERT_TRUE(started.ok()) << started.error().message();
  slot = &b;
  struct Clear {
    broker::Broker*& p;
    ~Clear() { p = nullptr; }
  } clear{slot};
  rt.sleep_for(rt::kForever);
}

}  // namespace rmq::test
