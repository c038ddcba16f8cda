// How fast the Raft core is, without any I/O: entries committed per second through a
// 3-node in-process cluster (messages passed in memory, "persisting" into MemoryStorage),
// with and without batching, and the cost of one step() of an append on a follower.
//   build/bench/raft_bench --benchmark_filter=Commit
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "raft/raw_node.h"
#include "raft/storage.h"
#include "raft/testing/cluster.h"

namespace faultline::raft {
namespace {

using testing::Cluster;
using testing::NodeSetup;

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
  state.SetItemsProcessed(committed);
}
BENCHMARK(BM_CommitThroughput)->Arg(1)->Arg(64)->Arg(256)->ArgName("batch");

// One step() of an append carrying one entry, on a follower that is up to date: the hot
// path of every follower. Readies are handled (outside the timing) every 1024 appends.
void BM_FollowerStepAppend(benchmark::State& state) {
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
      m.index = last + static_cast<Index>(i);
      m.log_term = m.index == 0 ? 0 : 1;
      m.commit = m.index;
      m.entries.push_back(Entry{1, m.index + 1, kPayload});
      round.push_back(std::move(m));
    }
    last += kRound;
  };
  auto handle_ready = [&] {
    while (follower.has_ready()) {
      Ready rd = follower.ready();
      storage.append(rd.entries);
      if (rd.has_hard_state) storage.set_hard_state(rd.hard_state);
      follower.advance();
    }
    const Index applied = follower.status().applied;
    if (applied > kRound) storage.compact(applied - kRound);
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
  state.SetItemsProcessed(steps);
}
BENCHMARK(BM_FollowerStepAppend);

}  // namespace
}  // namespace faultline::raft

BENCHMARK_MAIN();
