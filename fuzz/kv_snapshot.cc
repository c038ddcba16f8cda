// Fuzz target: a store snapshot as read back from disk or received from a leader. restore()
// must refuse (leaving the store as it was) or accept, never crash; what it accepts must
// save and restore to an equal store.
#include <string>

#include "fuzz_support.h"
#include "kv/store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faultline;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  kv::KvStore store;
  kv::PutResponse put;
  store.put(kv::PutRequest{.key = "held", .value = "before"}, put);
  const kv::KvStore before = store;
  std::string error;
  if (!store.restore(bytes, error)) {
    FUZZ_REQUIRE(!error.empty());
    FUZZ_REQUIRE(store == before);
    return 0;
  }
  kv::KvStore again;
  FUZZ_REQUIRE(again.restore(store.save(), error));
  FUZZ_REQUIRE(again == store);
  // The restored store keeps working: a write moves the revision on by one.
  const kv::Revision revision = store.revision();
  FUZZ_REQUIRE(store.put(kv::PutRequest{.key = "after", .value = "x"}, put) == kv::KvError::ok);
  FUZZ_REQUIRE(store.revision() == revision + 1);
  return 0;
}
