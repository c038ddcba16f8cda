// How fast the Raft core is, without any I/O: entries committed per second through a
// 3-node in-process cluster (messages passed in memory, "persisting" into MemoryStorage),
// with and without batching, and the cost of one step() of an append on a follower.
//   build/bench/raft_bench --benchmark_filter=Commit
// BM_CommitThroughput's counters: msgs_per_entry (messages delivered per committed entry:
// the leader coalesces its appends, so a batch costs a fixed number of messages) and
// readies_per_entry (Readies handled per entry: each one is an fsync on a real disk).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "raft/raw_node.h"
#include "raft/storage.h"
#include "raft/testing/cluster.h"

namespace faultline::raft {
namespace {

using testing::Cluster;
using testing::ClusterObserver;
using testing::NodeSetup;

// Counts what the cluster does, to show what batching saves besides time.
class TrafficCounter final : public ClusterObserver {
 public:
  void on_ready(NodeId /*id*/, const Ready& /*rd*/) override { ++readies; }
  void on_deliver(const Message& /*m*/) override { ++messages; }
  std::int64_t readies = 0;
  std::int64_t messages = 0;
};

// An 8-byte payload: small enough for the short-string buffer, like a small etcd put.
const std::string kPayload = "01234567";

// Compact every node's log once this many entries have been applied, so a long benchmark
// measures steady state and not a growing vector.
constexpr Index kCompactEvery = 1 << 16;

std::unique_ptr<Cluster> elected_cluster() {
  auto cluster = std::make_unique<Cluster>();
  for (NodeId id = 1; id <= 3; ++id) {
    NodeSetup setup;
    setup.config.id = id;
    setup.config.peers = {1, 2, 3};
    setup.config.seed = id;
    cluster->add_node(std::move(setup));
  }
  cluster->node(1).campaign();
  cluster->stabilize();
  return cluster;
}

// Proposes `batch` entries on the leader, then runs the cluster until it is quiet: the
// entries are persisted on all three nodes, committed and applied everywhere. With a
// batch of 1 every entry pays a full round of Readies and messages; with 256 they share it.
void BM_CommitThroughput(benchmark::State& state) {
  const auto batch = static_cast<int>(state.range(0));
  auto cluster = elected_cluster();
  if (cluster->leader() != 1) {
    state.SkipWithError("node 1 did not become leader");
    return;
  }
  RawNode& leader = cluster->node(1);
  TrafficCounter traffic;
  cluster->set_observer(&traffic);
  std::int64_t committed = 0;
  Index last_compaction = cluster->applied(1).index;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      if (leader.propose(kPayload) != ErrorCode::ok) {
        state.SkipWithError("proposal refused");
        return;
      }
    }
    if (!cluster->stabilize()) {
      state.SkipWithError("the cluster did not quiet down");
      return;
    }
    committed += batch;
    const Index applied = cluster->applied(1).index;
    if (applied - last_compaction >= kCompactEvery) {
      for (NodeId id : cluster->ids()) cluster->compact(id, cluster->applied(id).index);
      last_compaction = applied;
    }
  }
  if (cluster->applied(3).index < static_cast<Index>(committed)) {
    state.SkipWithError("a follower did not apply every entry");
  }
  cluster->set_observer(nullptr);
  state.SetItemsProcessed(committed);
  const double entries = committed > 0 ? static_cast<double>(committed) : 1.0;
  state.counters["msgs_per_entry"] = static_cast<double>(traffic.messages) / entries;
  state.counters["readies_per_entry"] = static_cast<double>(traffic.readies) / entries;
}
BENCHMARK(BM_CommitThroughput)->Arg(1)->Arg(16)->Arg(64)->Arg(256)->Arg(1024)->ArgName("batch");

// One step() of an append carrying `per_append` entries, on a follower
// that is up to date: the hot path of every follower. Items are entries, so with batching
// the figure is the follower's cost per entry. Readies are handled (outside the timing)
// every kRound appends.
void run_follower_step_append(benchmark::State& state, Index per_append) {
  constexpr int kRound = 1024;
  MemoryStorage storage;
  Config config;
  config.id = 2;
  config.peers = {1, 2};
  RawNode follower(config, storage);

  Index last = 0;
  std::vector<Message> round;
  auto prepare_round = [&] {
    round.clear();
    for (int i = 0; i < kRound; ++i) {
      Message m;
      m.type = MessageType::app;
      m.from = 1;
      m.to = 2;
      m.term = 1;
      m.index = last + static_cast<Index>(i) * per_append;
      m.log_term = m.index == 0 ? 0 : 1;
      m.commit = m.index;
      for (Index k = 1; k <= per_append; ++k) m.entries.push_back(Entry{1, m.index + k, kPayload});
      round.push_back(std::move(m));
    }
    last += kRound * per_append;
  };
  auto handle_ready = [&] {
    while (follower.has_ready()) {
      Ready rd = follower.ready();
      storage.append(rd.entries);
      if (rd.has_hard_state) storage.set_hard_state(rd.hard_state);
      follower.advance();
    }
    const Index applied = follower.status().applied;
    if (applied > kRound * per_append) storage.compact(applied - kRound * per_append);
  };

  prepare_round();
  std::size_t next = 0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    if (next == round.size()) {
      state.PauseTiming();
      handle_ready();
      prepare_round();
      next = 0;
      state.ResumeTiming();
    }
    if (follower.step(round[next++]) != ErrorCode::ok) {
      state.SkipWithError("the follower refused an append");
      return;
    }
    ++steps;
  }
  state.SetItemsProcessed(steps * static_cast<std::int64_t>(per_append));
}
void BM_FollowerStepAppend(benchmark::State& state) { run_follower_step_append(state, 1); }
BENCHMARK(BM_FollowerStepAppend);

void BM_FollowerStepAppendBatch(benchmark::State& state) {
  run_follower_step_append(state, static_cast<Index>(state.range(0)));
}
BENCHMARK(BM_FollowerStepAppendBatch)->Arg(64)->ArgName("entries");

}  // namespace
}  // namespace faultline::raft

BENCHMARK_MAIN();
