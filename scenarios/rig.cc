#include "scenarios/rig.h"

namespace rmq::scenarios {

void recording_consumer(rt::Runtime& rt, Rig& k, const std::string& group, const std::string& topic, int c,
                        int32_t max_reconsume, const bool& stop, const RecordingListener& listener) {
  client::MqClient mq(rt, make_client(k, fmt::format("10.2.0.{}", c + 1), fmt::format("c{}", c)));
  mq.start();
  client::PushConsumer pc(mq, {.group = group,
                               .consume_from = client::ConsumeFrom::first_offset,
                               .max_reconsume_times = max_reconsume});
  pc.subscribe(topic);
  const std::string id = mq.client_id();
  pc.on_rebalance([&](const std::vector<client::MessageQueue>& owned) {
    h::Rebalance rb{.group = group, .consumer = id, .at = rt.now()};
    for (const auto& q : owned) rb.owned.insert({q.topic, q.broker_name, q.queue_id});
    k.hist.rebalances.push_back(std::move(rb));
  });
  pc.start([&](const client::ReceivedMessage& m) {
    h::Delivery d{.group = group,
                  .consumer = id,
                  .key = m.keys,
                  .msg_id = m.msg_id,
                  .queue = {m.queue.topic, m.queue.broker_name, m.queue.queue_id},
                  .queue_offset = m.queue_offset,
                  .body_digest = m.body,
                  .reconsume_times = m.reconsume_times,
                  .at = rt.now()};
    k.hist.deliveries.push_back(d);
    return listener(m, d);
  });
  while (!stop) rt.sleep_for(1s);
  pc.shutdown();
  mq.stop();
}

}  // namespace rmq::scenarios
