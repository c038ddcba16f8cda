// Fuzz target: a raft_batch payload from a peer, as decode_batch() sees it after the frame's
// checksum passed (a hostile or buggy peer computes a valid checksum). Decoding must refuse
// or accept, never crash, and what it accepts must survive encode_batch() unchanged.
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "net/message_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faultline;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::vector<raft::Message> messages;
  std::string error;
  if (!net::decode_batch(payload, messages, &error)) {
    FUZZ_REQUIRE(messages.empty());
    FUZZ_REQUIRE(!error.empty());
    return 0;
  }
  std::vector<raft::Message> again;
  FUZZ_REQUIRE(net::decode_batch(net::encode_batch(messages), again, &error));
  FUZZ_REQUIRE(again == messages);
  return 0;
}
