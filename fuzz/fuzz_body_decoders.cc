// The typed body decoders (and, for the admin answers, their encoders) on arbitrary bytes: route, cluster info, register
// body (plain and compressed), heartbeat, the lock batch request and
// answer, the batch send body, and the admin answers rmq-admin reads
// (remoting/admin_bodies.h), and the admin headers (remoting/headers_admin.h)
// over the extFields of an arbitrary JSON header. Never a crash; whatever
// decodes and has an encoder encodes to something that decodes to the same
// value; the admin decoders' lists come out sorted.
#include <algorithm>
#include <string_view>
#include <tuple>

#include "fuzz/fuzz_check.h"
#include "remoting/admin_bodies.h"
#include "remoting/batch_body.h"
#include "remoting/codec.h"
#include "remoting/headers_admin.h"
#include "remoting/heartbeat.h"
#include "remoting/lock_batch.h"
#include "remoting/route_data.h"

using namespace rmq;
using namespace rmq::remoting;

namespace {

// A keyed table whose keys name distinct queues (two spellings of one
// MessageQueue key decode to two entries, and are written back as one key).
template <typename T, typename Key>
bool distinct_queues(const std::vector<T>& list, Key key) {
  for (size_t i = 1; i < list.size(); ++i)
    if (key(list[i - 1]) == key(list[i])) return false;
  return true;
}

// An admin header read from `c`'s extFields, when it decodes, writes
// extFields that read back to the same header.
template <typename Header, typename... Code>
void header_round_trip(const RemotingCommand& c, Code... code) {
  auto h = Header::decode(c, code...);
  if (!h.ok()) return;
  RemotingCommand again = RemotingCommand::request(c.code);
  h->encode(again, code...);
  auto back = Header::decode(again, code...);
  fuzz::check(back.ok());
  fuzz::check(*back == *h);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 17;
  const auto bytes = fuzz::as_bytes(data + 1, size - 1);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (which) {
    case 0:
      if (auto r = decode_topic_route(text); r.ok()) {
        for (bool standard : {false, true}) {
          auto again = decode_topic_route(encode_topic_route(*r, standard));
          fuzz::check(again.ok());
          fuzz::check(*again == *r);
        }
      }
      break;
    case 1:
      if (auto c = decode_cluster_info(text); c.ok()) {
        auto again = decode_cluster_info(encode_cluster_info(*c));
        fuzz::check(again.ok());
        fuzz::check(*again == *c);
      }
      break;
    case 2:
    case 3: {
      const bool compressed = which == 3;
      if (auto b = decode_register_broker_body(bytes, compressed); b.ok()) {
        auto again = decode_register_broker_body(encode_register_broker_body(*b, false), false);
        fuzz::check(again.ok());
        fuzz::check(again->data_version == b->data_version);
        fuzz::check(again->topic_config_table.size() == b->topic_config_table.size());
      }
      break;
    }
    case 4:
      if (auto h = decode_heartbeat(text); h.ok()) {
        auto again = decode_heartbeat(encode_heartbeat(*h));
        fuzz::check(again.ok());
        fuzz::check(again->client_id == h->client_id);
        fuzz::check(again->consumers.size() == h->consumers.size());
      }
      break;
    case 5:
      if (auto r = decode_lock_batch_request(text); r.ok()) {
        auto again = decode_lock_batch_request(encode_lock_batch_request(*r));
        fuzz::check(again.ok());
        fuzz::check(*again == *r);
      }
      break;
    case 6:
      if (auto r = decode_lock_batch_response(text); r.ok()) {
        auto again = decode_lock_batch_response(encode_lock_batch_response(*r));
        fuzz::check(again.ok());
        fuzz::check(*again == *r);
      }
      break;
    case 7:
      if (auto r = decode_batch_body(bytes, 4096); r.ok()) {
        fuzz::check(!r->empty());
        std::vector<std::byte> out;
        for (const BatchRecord& b : *r) append_batch_record(out, b.flag, b.body, b.properties);
        fuzz::check(out.size() == bytes.size());
        auto again = decode_batch_body(out, 4096);
        fuzz::check(again.ok());
        fuzz::check(again->size() == r->size());
        for (size_t i = 0; i < r->size(); ++i) {
          fuzz::check((*again)[i].flag == (*r)[i].flag);
          fuzz::check(std::ranges::equal((*again)[i].body, (*r)[i].body));
          fuzz::check((*again)[i].properties == (*r)[i].properties);
        }
      }
      break;
    case 8:
      if (auto r = decode_topic_stats(text); r.ok()) {
        fuzz::check(std::ranges::is_sorted(*r, {}, [](const TopicQueueStats& q) {
          return std::tie(q.mq.topic, q.mq.broker_name, q.mq.queue_id);
        }));
        if (distinct_queues(*r, [](const TopicQueueStats& q) { return q.mq; })) {
          auto again = decode_topic_stats(encode_topic_stats(*r));
          fuzz::check(again.ok() && *again == *r);
        }
      }
      break;
    case 9:
      if (auto r = decode_consume_stats(text); r.ok()) {
        fuzz::check(std::ranges::is_sorted(r->queues, {}, [](const ConsumeQueueStats& q) {
          return std::tie(q.mq.topic, q.mq.broker_name, q.mq.queue_id);
        }));
        if (distinct_queues(r->queues, [](const ConsumeQueueStats& q) { return q.mq; })) {
          auto again = decode_consume_stats(encode_consume_stats(*r));
          fuzz::check(again.ok() && *again == *r);
        }
      }
      break;
    case 10:
      if (auto r = decode_group_connections(text); r.ok()) {
        fuzz::check(std::ranges::is_sorted(r->connections, {}, &ClientConnection::client_id));
        std::map<std::string, SubscriptionData> subs;
        for (const auto& [topic, expression] : r->subscriptions) {
          subs[topic].topic = topic;
          subs[topic].sub_string = expression;
        }
        auto again = decode_group_connections(encode_consumer_connections(*r, subs));
        fuzz::check(again.ok() && *again == *r);
      }
      break;
    case 11:
      if (auto r = decode_broker_stats(text); r.ok()) {
        auto again = decode_broker_stats(encode_broker_stats(*r));
        fuzz::check(again.ok() && *again == *r);
      }
      break;
    case 12:
      if (auto r = decode_group_list(text); r.ok()) {
        fuzz::check(std::ranges::is_sorted(*r));
        auto again = decode_group_list(encode_group_list(*r));
        fuzz::check(again.ok() && *again == *r);
      }
      break;
    case 13:
      if (auto r = decode_reset_offsets(text); r.ok()) {
        fuzz::check(std::ranges::is_sorted(*r, {}, [](const std::pair<MessageQueueKey, int64_t>& e) {
          return std::tie(e.first.topic, e.first.broker_name, e.first.queue_id);
        }));
        if (distinct_queues(*r, [](const std::pair<MessageQueueKey, int64_t>& e) { return e.first; })) {
          auto again = decode_reset_offsets(encode_reset_offsets(*r));
          fuzz::check(again.ok() && *again == *r);
        }
      }
      break;
    case 14:
      if (auto r = decode_kv_table(text); r.ok()) {
        (void)table_long(*r, "putTps");
        (void)table_rate(*r, "putTps");
        auto again = decode_kv_table(encode_kv_table({r->begin(), r->end()}));
        fuzz::check(again.ok() && *again == *r);
      }
      break;
    case 15:
      if (auto r = decode_records(bytes); r.ok())
        for (const auto& m : *r) {
          (void)message_id(m);
          (void)common::has_message_key(m.properties, "k");
        }
      break;
    case 16:
      if (auto d = decode_json_header(text); d.ok()) {
        const RemotingCommand& c = *d.value;
        header_round_trip<CreateTopicRequestHeader>(c);
        header_round_trip<TopicRequestHeader>(c);
        header_round_trip<GetConsumeStatsRequestHeader>(c);
        header_round_trip<GetProducerConnectionListRequestHeader>(c);
        header_round_trip<ViewBrokerStatsDataRequestHeader>(c);
        header_round_trip<DeleteSubscriptionGroupRequestHeader>(c);
        header_round_trip<ViewMessageRequestHeader>(c);
        header_round_trip<QueryMessageRequestHeader>(c);
        header_round_trip<QueryMessageResponseHeader>(c);
        header_round_trip<ResetOffsetRequestHeader>(c);
        header_round_trip<BrokerPermRequestHeader>(c);
        header_round_trip<BrokerPermResponseHeader>(c, int32_t{205});
        header_round_trip<BrokerPermResponseHeader>(c, int32_t{327});
      }
      break;
  }
  return 0;
}
