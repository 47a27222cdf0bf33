// The remoting codec on the send path: a SEND_MESSAGE_V2 frame as a producer
// sends it (JSON header, 13 single-letter fields, a 128 B body) decoded into
// a RemotingCommand and its typed header, and the broker's answer encoded.
// Baseline in the same binary: copying the frame's bytes (the least any
// decoder does). Compare codec changes by running two builds in one script.
#include <benchmark/benchmark.h>

#include "common/message_format.h"
#include "remoting/codec.h"
#include "remoting/headers_send.h"

namespace {

using namespace rmq;

std::vector<std::byte> send_frame() {
  auto req = remoting::RemotingCommand::request(310);  // SEND_MESSAGE_V2
  remoting::SendMessageRequestHeader h;
  h.producer_group = "BenchProducerGroup";
  h.topic = "BenchTopic";
  h.default_topic = "TBW102";
  h.default_topic_queue_nums = 4;
  h.queue_id = 3;
  h.born_timestamp = 1733300000000;
  h.properties = common::encode_properties(
      {{"TAGS", "TagA"}, {"KEYS", "order-1234567"}, {"UNIQ_KEY", "7F0000011F9C18B4AAC2A6B0C1E30000"}, {"WAIT", "true"}});
  h.encode(req, /*v2=*/true);
  req.opaque = 12345;
  req.body.assign(128, std::byte{'x'});
  return remoting::encode_frame(req);
}

void BM_DecodeSendFrame(benchmark::State& state) {
  const auto frame = send_frame();
  const rt::ConstBytes after_length(frame.data() + 4, frame.size() - 4);
  for (auto _ : state) {
    auto cmd = remoting::decode_frame_body(after_length);
    auto h = remoting::SendMessageRequestHeader::decode(*cmd.value);
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_DecodeSendFrame);

void BM_EncodeSendResponse(benchmark::State& state) {
  std::vector<std::byte> out;
  for (auto _ : state) {
    auto resp = remoting::RemotingCommand::request(0);
    resp.flag = remoting::kFlagResponse;
    resp.opaque = 12345;
    resp.ext_fields["msgId"] = "7F00000100002A9F00000000000A1B2C";
    resp.ext_fields["queueId"] = "3";
    resp.ext_fields["queueOffset"] = "123456";
    resp.ext_fields["MSG_REGION"] = "DefaultRegion";
    resp.ext_fields["TRACE_ON"] = "true";
    out.clear();
    remoting::append_frame(resp, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeSendResponse);

void BM_CopyFrameBaseline(benchmark::State& state) {
  const auto frame = send_frame();
  for (auto _ : state) {
    std::vector<std::byte> copy(frame.begin(), frame.end());
    benchmark::DoNotOptimize(copy.data());
  }
}
BENCHMARK(BM_CopyFrameBaseline);

}  // namespace
