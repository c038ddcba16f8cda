// Fuzz target: the bytes of a write command as they come out of the Raft log (a corrupt
// disk or a buggy peer can put anything there). decode() must refuse or accept, never
// crash; what it accepts must encode back to itself, and applying it to a store must either
// change nothing (a refused command) or leave a store that saves and restores whole.
#include <string>

#include "fuzz_support.h"
#include "kv/command.h"
#include "kv/store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faultline;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  kv::Command command;
  std::string error;
  if (!kv::decode(bytes, command, error)) {
    FUZZ_REQUIRE(!error.empty());
    return 0;
  }
  kv::Command again;
  FUZZ_REQUIRE(kv::decode(kv::encode(command), again, error));
  FUZZ_REQUIRE(again == command);

  kv::KvStore store;
  for (const char* key : {"a", "b", "c", "k1", "k10"}) {
    kv::PutResponse put;
    store.put(kv::PutRequest{.key = key, .value = key}, put);
  }
  const kv::KvStore before = store;
  const kv::ApplyResult result = store.apply(command);
  if (result.error != kv::KvError::ok) {
    FUZZ_REQUIRE(store == before);
    return 0;
  }
  FUZZ_REQUIRE(store.revision() >= before.revision());
  kv::KvStore restored;
  FUZZ_REQUIRE(restored.restore(store.save(), error));
  FUZZ_REQUIRE(restored == store);
  return 0;
}
