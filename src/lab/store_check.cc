// The end-of-run store comparison (see store_check.h).
#include "lab/store_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <memory>

namespace faultline::lab {
namespace {

using Clock = std::chrono::steady_clock;

// Keys and values are bytes: shown escaped, and a long one cut (its size said), so one
// sentence stays readable whatever the workload wrote.
constexpr std::size_t kShownBytes = 64;

std::string escaped(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kShownBytes; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\')
      out += {'\\', static_cast<char>(c)};
    else if (c < 0x20 || c >= 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (s.size() > kShownBytes) out += fmt::format("... ({} bytes)", s.size());
  return out;
}

std::string holds(int node, const kv::KeyValue& kv) {
  return fmt::format("node {} holds {} = \"{}\" (create_revision {}, mod_revision {}, version {})",
                     node, escaped(kv.key), escaped(kv.value), kv.create_revision, kv.mod_revision,
                     kv.version);
}

std::string lacks(int node, const std::string& key) {
  return fmt::format("node {} does not hold {}", node, escaped(key));
}

std::vector<kv::KeyValue> in_key_order(std::vector<kv::KeyValue> keys) {
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return keys;
}

// The first difference of `other` from `reference` (both with keys in key order), `other`
// named first.
std::optional<std::string> difference(const NodeStore& reference, const NodeStore& other) {
  const auto& a = reference.keys;
  const auto& b = other.keys;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].key < b[j].key))
      return lacks(other.node, a[i].key) + ", " + holds(reference.node, a[i]);
    if (i == a.size() || b[j].key < a[i].key)
      return holds(other.node, b[j]) + ", " + lacks(reference.node, b[j].key);
    if (a[i] != b[j]) return holds(other.node, b[j]) + ", " + holds(reference.node, a[i]);
    ++i;
    ++j;
  }
  if (reference.revision != other.revision)
    return fmt::format("node {}'s store is at revision {}, node {}'s at revision {}", other.node,
                       other.revision, reference.node, reference.revision);
  return std::nullopt;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// "node 1 at 1234, node 2 at 1234, node 3 not answering"
std::string describe(const AppliedReadings& readings) {
  std::string out;
  for (const auto& [node, applied] : readings)
    out += fmt::format("{}node {} {}", out.empty() ? "" : ", ", node,
                       applied ? fmt::format("at {}", *applied) : std::string("not answering"));
  return out;
}

// The applied index every asked node reports, if they all answer and agree.
std::optional<std::uint64_t> common_applied(const StoreCheckPlan& plan,
                                            const AppliedReadings& readings) {
  std::optional<std::uint64_t> common;
  for (const auto& [node, endpoint] : plan.nodes) {
    auto it = readings.find(node);
    if (it == readings.end() || !it->second) return std::nullopt;
    if (common && *common != *it->second) return std::nullopt;
    common = it->second;
  }
  return common;
}

struct Settled {
  std::optional<std::uint64_t> applied;  // nullopt: did not settle in time
  AppliedReadings last;
};

// Two fresh samples in a row in which every node reports the same applied index: a node
// still applying, or a leader still committing what a timed-out request proposed, moves it.
Settled settle(const StoreCheckPlan& plan) {
  const auto deadline = Clock::now() + plan.settle_within;
  std::optional<std::uint64_t> previous;
  Settled s;
  for (;;) {  // each round waits for a fresh sample; the deadline bounds the rounds
    s.last = plan.fresh_applied();
    const auto now = common_applied(plan, s.last);
    if (now && previous == now) {
      s.applied = now;
      return s;
    }
    previous = now;
    if (Clock::now() >= deadline) return s;
  }
}

// Every asked node's store, read at once; an error sentence if one cannot be read whole.
std::optional<std::string> read_stores(client::AsyncKvClient& kv, const StoreCheckPlan& plan,
                                       std::vector<NodeStore>& stores) {
  std::vector<std::future<client::RangeReply>> answers;
  const auto deadline = Clock::now() + plan.request_timeout;
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    auto promise = std::make_shared<std::promise<client::RangeReply>>();
    answers.push_back(promise->get_future());
    kv.range(kv.connection_for(i, 0),
             client::every_key(plan.max_keys, client::ReadConsistency::serializable), deadline,
             [promise](client::RangeReply&& r) { promise->set_value(std::move(r)); });
  }
  stores.clear();
  std::optional<std::string> problem;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    client::RangeReply r = answers[i].get();  // every call has the deadline above
    const int node = plan.nodes[i].first;
    if (problem) continue;
    if (!r.ok)
      problem = fmt::format("node {} did not give its keys ({})", node, r.error);
    else if (r.more || r.count > plan.max_keys)
      problem = fmt::format("node {} holds {} keys, more than the {} the check reads", node,
                            r.count, plan.max_keys);
    else
      stores.push_back({.node = node, .revision = r.revision, .keys = std::move(r.kvs)});
  }
  return problem;
}

std::string not_compared(const std::string& why) { return "not compared: " + why; }

std::string not_asked(const StoreCheckPlan& plan) {
  if (plan.not_asked.empty()) return "";
  std::string out = "; not asked: ";
  for (std::size_t i = 0; i < plan.not_asked.size(); ++i)
    out += (i == 0 ? "" : ", ") + plan.not_asked[i];
  return out;
}

}  // namespace

std::optional<std::string> compare_stores(const std::vector<NodeStore>& stores) {
  std::vector<NodeStore> sorted = stores;  // each store sorted once
  for (auto& s : sorted) s.keys = in_key_order(std::move(s.keys));
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (auto d = difference(sorted.front(), sorted[i])) return d;
  return std::nullopt;
}

StoreCheck check_stores(const StoreCheckPlan& plan) {
  using Outcome = StoreCheck::Outcome;
  if (plan.nodes.empty()) return {Outcome::not_compared, not_compared("no node is running")};
  if (plan.nodes.size() == 1)
    return {Outcome::not_compared,
            not_compared(fmt::format("node {} is the only one running", plan.nodes.front().first) +
                         not_asked(plan))};
  std::vector<std::string> endpoints;
  for (const auto& [node, endpoint] : plan.nodes) endpoints.push_back(endpoint);
  client::AsyncKvClient kv({.endpoints = endpoints,
                            .connections = endpoints.size(),
                            .completion_threads = 1,
                            .max_receive_bytes = kStoreCheckMaxBytes});
  std::string moved;
  // A write that timed out at the client may still be applied while the stores are read:
  // then the applied index moves, and the check starts again, once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Settled settled = settle(plan);
    if (!settled.applied)
      return {
          Outcome::not_compared,
          not_compared(fmt::format("the nodes did not reach one applied index within {} s ({})",
                                   plan.settle_within.count() / 1000.0, describe(settled.last)))};
    std::vector<NodeStore> stores;
    if (auto problem = read_stores(kv, plan, stores))
      return {Outcome::not_compared, not_compared(*problem)};
    const AppliedReadings after = plan.fresh_applied();
    if (common_applied(plan, after) != settled.applied) {
      moved = fmt::format("from {} to {}", *settled.applied, describe(after));
      continue;
    }
    if (auto d = compare_stores(stores))
      return {Outcome::differ, fmt::format("the nodes' stores differ at applied index {}: {}",
                                           *settled.applied, *d)};
    return {Outcome::equal,
            fmt::format("{} hold the same {} at applied index {} (revision {}){}",
                        plural(stores.size(), "node", "nodes"),
                        plural(stores.front().keys.size(), "key", "keys"), *settled.applied,
                        stores.front().revision, not_asked(plan))};
  }
  return {
      Outcome::not_compared,
      not_compared("the applied index moved while the stores were read, twice (" + moved + ")")};
}

}  // namespace faultline::lab
