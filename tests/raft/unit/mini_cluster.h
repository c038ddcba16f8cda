// A minimal in-memory cluster for the core's unit tests: RawNodes over MemoryStorage, a
// Ready loop that persists before sending, and a message queue with directed cuts. Just
// enough to tell short stories; the full harness lives in src/raft/testing.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/config.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace faultline::raft::unit {

class MiniCluster {
 public:
  // Nodes 1..n, with `base` as the config template (id and peers are filled in).
  explicit MiniCluster(int n, Config base = Config{}) {
    std::vector<NodeId> peers;
    for (int i = 1; i <= n; ++i) peers.push_back(static_cast<NodeId>(i));
    for (NodeId id : peers) {
      Config c = base;
      c.id = id;
      c.peers = peers;
      c.seed = 42;
      c.logger = [this](std::string_view line) { log_lines.emplace_back(line); };
      storages_[id] = std::make_unique<MemoryStorage>();
      nodes_[id] = std::make_unique<RawNode>(c, *storages_[id]);
    }
  }

  RawNode& node(NodeId id) { return *nodes_.at(id); }
  MemoryStorage& storage(NodeId id) { return *storages_.at(id); }

  // Processes every node's Ready: persist, queue messages, apply, advance.
  void process_readies() {
    for (auto& [id, node] : nodes_) {
      while (node->has_ready()) {
        Ready rd = node->ready();
        MemoryStorage& st = *storages_[id];
        if (!rd.snapshot.empty()) st.apply_snapshot(rd.snapshot);
        if (!rd.entries.empty()) st.append(rd.entries);
        if (rd.has_hard_state) st.set_hard_state(rd.hard_state);
        for (Message& m : rd.messages) queue_.push_back(std::move(m));
        for (const Entry& e : rd.committed_entries) applied[id].push_back(e);
        for (const ReadState& r : rd.read_states) read_states[id].push_back(r);
        node->advance();
      }
    }
  }

  // Delivers queued messages (dropping cut links) and processes Readies until quiet.
  // Bounded: a cluster that keeps talking after `max_rounds` rounds is a bug.
  int stabilize(int max_rounds = 100) {
    int delivered = 0;
    for (int round = 0; round < max_rounds; ++round) {
      process_readies();
      if (queue_.empty()) return delivered;
      std::deque<Message> batch = std::exchange(queue_, {});
      for (Message& m : batch) {
        if (cut_.count({m.from, m.to}) != 0) continue;
        nodes_.at(m.to)->step(m);
        ++delivered;
      }
    }
    return delivered;
  }

  void tick_all(int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (auto& [id, node] : nodes_) node->tick();
    }
  }

  void cut(NodeId a, NodeId b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void heal() { cut_.clear(); }

  // Elects `id` by campaigning and delivering everything.
  void elect(NodeId id) {
    node(id).campaign();
    stabilize();
  }

  std::map<NodeId, std::vector<Entry>> applied;
  std::map<NodeId, std::vector<ReadState>> read_states;
  std::vector<std::string> log_lines;

 private:
  std::map<NodeId, std::unique_ptr<MemoryStorage>> storages_;
  std::map<NodeId, std::unique_ptr<RawNode>> nodes_;
  std::deque<Message> queue_;
  std::set<std::pair<NodeId, NodeId>> cut_;
};

}  // namespace faultline::raft::unit
