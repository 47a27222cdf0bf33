// The typed body decoders on arbitrary bytes: route, cluster info, register
// body (plain and compressed), heartbeat, and the lock batch request and
// answer. Never a crash; whatever decodes
// encodes to something that decodes to the same value.
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "remoting/heartbeat.h"
#include "remoting/lock_batch.h"
#include "remoting/route_data.h"

using namespace rmq;
using namespace rmq::remoting;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 7;
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
  }
  return 0;
}
