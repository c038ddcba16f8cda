// The lab's end-of-run check that every node holds the same data. Linearizability judges
// what clients saw, and the recovery check that every node applied what was committed;
// neither notices a node whose store silently went its own way (a snapshot restore that
// lost a key, a wrong revision or version) unless a later read happened to hit that node
// and that key, and reads compare values only. So once the workload is done, the lab waits
// until every running node reports the same applied index, reads each node's whole key
// space from that node alone (a serializable Range on its own endpoint), and compares keys,
// values, create and mod revisions, versions and the store's revision. A difference is a
// finding, like a node that exits on its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/kv_client.h"

namespace faultline::lab {

// The most keys one node's store may hold for the check to read it (one Range), and the
// largest answer it accepts: a bound on the lab's memory, far above any scenario's key space.
inline constexpr std::int64_t kStoreCheckMaxKeys = 100'000;
inline constexpr int kStoreCheckMaxBytes = 64 << 20;

// What one node holds: the header revision of its Range and every key, in key order.
struct NodeStore {
  int node = 0;
  std::int64_t revision = 0;
  std::vector<kv::KeyValue> keys{};
};

// The first difference between the stores, as a sentence naming the two nodes, e.g.
// `node 2 holds k3 = "0000000042" (create_revision 5, mod_revision 977, version 12), node 1
// holds k3 = "0000000051" (create_revision 5, mod_revision 990, version 13)`; nullopt when
// all are equal. The first store is the reference every other is compared with; keys are
// compared in key order (the smallest differing key is named), then the revisions.
std::optional<std::string> compare_stores(const std::vector<NodeStore>& stores);

// Each node's applied index as last sampled; nullopt: it did not answer.
using AppliedReadings = std::map<int, std::optional<std::uint64_t>>;

struct StoreCheckPlan {
  // The nodes to compare (running and not paused), each with its own client endpoint.
  std::vector<std::pair<int, std::string>> nodes;
  // Nodes of the cluster that are not asked, for the result: "node 2 (paused)".
  std::vector<std::string> not_asked;
  // Blocks until every node of `nodes` has been sampled anew (bounded: at most about a
  // second), then returns their latest applied indexes.
  std::function<AppliedReadings()> fresh_applied;
  std::chrono::milliseconds settle_within{5000};  // for the applied indexes to agree
  std::chrono::milliseconds request_timeout{2000};
  std::int64_t max_keys = kStoreCheckMaxKeys;
};

struct StoreCheck {
  enum class Outcome : std::uint8_t { not_compared, equal, differ };
  Outcome outcome = Outcome::not_compared;
  // What was compared ("3 nodes hold the same 10 keys at applied index 1234 (revision
  // 987)"), the difference ("the nodes' stores differ at applied index 1234: ..."), or why
  // nothing was compared ("not compared: ...").
  std::string sentence;
};

// Waits until the nodes' applied indexes agree for two samples in a row, reads every
// node's store, checks the applied index did not move meanwhile (once more if it did) and
// compares. Not settling is no finding (a scenario may end with a node cut off; the
// recovery check judges catch-up): the result says so. Its gRPC client is made on the
// calling thread: in namespaces mode, call it from the client namespace.
StoreCheck check_stores(const StoreCheckPlan& plan);

}  // namespace faultline::lab
