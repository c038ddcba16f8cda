// Fuzz target: the byte stream of a peer connection, cut into reads of a size the input's
// first byte picks (TCP splits a stream anywhere). The frame decoder must hand out only
// whole frames, stay failed after an error, and keep its buffer bounded.
#include <algorithm>

#include "fuzz_support.h"
#include "net/frame.h"
#include "net/message_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faultline;
  if (size == 0) return 0;
  const std::size_t read = std::size_t{data[0]} + 1;
  constexpr std::uint32_t kMaxPayload = 4096;
  net::FrameDecoder decoder(kMaxPayload);
  bool failed = false;
  for (std::size_t pos = 1; pos < size; pos += read) {
    const std::size_t n = std::min(read, size - pos);
    decoder.feed(reinterpret_cast<const char*>(data) + pos, n);
    net::FrameView frame;
    net::FrameDecoder::Result r;
    while ((r = decoder.next(frame)) == net::FrameDecoder::Result::frame) {
      FUZZ_REQUIRE(!failed);
      FUZZ_REQUIRE(frame.payload.size() <= kMaxPayload);
      FUZZ_REQUIRE(net::is_known_frame_type(static_cast<std::uint8_t>(frame.type)));
      if (frame.type == net::FrameType::raft_batch) {
        std::vector<raft::Message> messages;
        std::string error;
        net::decode_batch(frame.payload, messages, &error);
      }
    }
    if (r == net::FrameDecoder::Result::error) {
      FUZZ_REQUIRE(decoder.error() != net::FrameError::none);
      failed = true;
    }
    // A reader holds at most one frame and one read beyond what it handed out.
    FUZZ_REQUIRE(failed || decoder.buffered() <= net::kFrameHeaderBytes + kMaxPayload + read);
  }
  return 0;
}
