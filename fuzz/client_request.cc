// Fuzz target: a client's KV request as etcd's protobuf bytes (the input's first byte picks
// Range, Put, DeleteRange or Txn). What the server accepts (to_kv, then kv::validate) it
// proposes, and every member's decoder must then accept the entry: a validated write must
// encode into a command that decodes back to itself, or one request would stop the whole
// cluster for good. Applied to a store, it changes nothing (refused) or leaves a store that
// saves and restores whole; a validated Range is answered.
#include <string>

#include "etcdserverpb/rpc.pb.h"
#include "fuzz_support.h"
#include "kv/command.h"
#include "kv/store.h"
#include "server/kv_convert.h"

namespace {

using namespace faultline;

kv::KvStore small_store() {
  kv::KvStore store;
  for (const char* key : {"a", "b", "c", "k1", "k10"}) {
    kv::PutResponse put;
    store.put(kv::PutRequest{.key = key, .value = key}, put);
  }
  return store;
}

// The path of a write from the gRPC layer to every member's state machine.
void propose_and_apply(const kv::WriteRequest& request) {
  if (kv::validate(request) != kv::KvError::ok) return;
  const kv::Command command{.request_id = 7, .request = request};
  kv::Command decoded;
  std::string error;
  FUZZ_REQUIRE(kv::decode(kv::encode(command), decoded, error));
  FUZZ_REQUIRE(decoded == command);
  kv::KvStore store = small_store();
  const kv::KvStore before = store;
  const kv::ApplyResult result = store.apply(decoded);
  if (result.error != kv::KvError::ok) {
    FUZZ_REQUIRE(store == before);
    return;
  }
  kv::KvStore restored;
  FUZZ_REQUIRE(restored.restore(store.save(), error));
  FUZZ_REQUIRE(restored == store);
}

template <typename Message>
bool parse(std::string_view bytes, Message& out) {
  return out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      etcdserverpb::RangeRequest r;
      if (!parse(bytes, r)) return 0;
      const kv::RangeRequest request = server::to_kv(r);
      if (kv::validate(request) != kv::KvError::ok) return 0;
      kv::RangeResponse out;
      const kv::KvError e = small_store().range(request, out);
      FUZZ_REQUIRE(e == kv::KvError::ok || e == kv::KvError::future_revision ||
                   e == kv::KvError::past_revision);
      return 0;
    }
    case 1: {
      etcdserverpb::PutRequest r;
      if (parse(bytes, r)) propose_and_apply(server::to_kv(r));
      return 0;
    }
    case 2: {
      etcdserverpb::DeleteRangeRequest r;
      if (parse(bytes, r)) propose_and_apply(server::to_kv(r));
      return 0;
    }
    default: {
      etcdserverpb::TxnRequest r;
      if (!parse(bytes, r)) return 0;
      if (auto request = server::to_kv(r, nullptr)) propose_and_apply(*request);
      return 0;
    }
  }
}
