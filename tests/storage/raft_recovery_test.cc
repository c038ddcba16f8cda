// The whole durable path as the server drives it: a RawNode on DiskStorage applying kv
// commands, snapshotting every 50 entries. The node "crashes" (everything in memory is
// dropped) and a new one is built from the directory alone; it must rebuild exactly the same
// key-value state from snapshot plus log, keep its term, and go on accepting writes.
#include <gtest/gtest.h>

#include "kv/command.h"
#include "kv/store.h"
#include "raft/raw_node.h"
#include "storage/disk_storage.h"
#include "temp_dir.h"
#include "wal_test_util.h"

namespace faultline::storage {
namespace {

constexpr raft::Index kSnapshotEvery = 50;

// One node: its storage, its core and its state machine, built from a directory.
struct Node {
  explicit Node(const std::filesystem::path& dir)
      : disk(DiskStorageOptions{dir, /*segment_bytes=*/8192, /*catch_up_entries=*/10}) {
    raft::Snapshot snap;
    EXPECT_EQ(disk.snapshot(snap), raft::ErrorCode::ok);
    if (!snap.empty()) {
      std::string error;
      EXPECT_TRUE(kv.restore(snap.data, error)) << error;
      applied = snapshot_index = snap.metadata.index;
    }
    raft::Config config;
    config.id = 1;
    config.peers = {1};
    config.applied = applied;
    core = std::make_unique<raft::RawNode>(config, disk);
  }

  // The server's Ready loop: persist, sync once, apply, advance; snapshot on cadence.
  void drain() {
    for (int rounds = 0; core->has_ready() && rounds < 1000; ++rounds) {
      raft::Ready rd = core->ready();
      if (!rd.snapshot.empty()) disk.apply_snapshot(rd.snapshot);
      disk.save(rd.has_hard_state ? &rd.hard_state : nullptr, rd.entries);
      disk.sync();
      for (const raft::Entry& e : rd.committed_entries) {
        if (!e.data.empty()) {
          kv::Command command;
          std::string error;
          ASSERT_TRUE(kv::decode(e.data, command, error)) << error;
          ASSERT_EQ(kv.apply(command).error, kv::KvError::ok);
        }
        applied = e.index;
      }
      core->advance();
      if (applied >= snapshot_index + kSnapshotEvery) {
        disk.create_snapshot(applied, {1}, kv.save());
        snapshot_index = applied;
      }
    }
  }

  void become_leader() {
    core->campaign();
    drain();
    ASSERT_EQ(core->status().soft_state.role, raft::StateRole::leader);
  }

  void put(int i) {
    kv::Command c{.request_id = static_cast<std::uint64_t>(i),
                  .request = kv::PutRequest{.key = "key" + std::to_string(i % 37),
                                            .value = "value " + std::to_string(i)}};
    ASSERT_EQ(core->propose(kv::encode(c)), raft::ErrorCode::ok);
  }

  DiskStorage disk;
  kv::KvStore kv;
  raft::Index applied = 0;
  raft::Index snapshot_index = 0;
  std::unique_ptr<raft::RawNode> core;
};

TEST(RaftRecovery, ARestartedNodeRebuildsItsStateFromSnapshotPlusLog) {
  testing::TempDir tmp;
  kv::KvStore before;
  raft::Term term_before = 0;
  raft::Index snapshot_before = 0;
  {
    Node node(tmp.path());
    node.become_leader();
    for (int i = 0; i < 230; ++i) {
      node.put(i);
      if (i % 10 == 9) node.drain();  // ten proposals per Ready: one fdatasync for them
    }
    node.drain();
    ASSERT_EQ(node.kv.revision(), 231) << "every put applied";
    before = node.kv;
    term_before = node.core->status().hard_state.term;
    snapshot_before = node.snapshot_index;
    EXPECT_GE(snapshot_before, 150u);
    EXPECT_LT(snapshot_before, node.applied - 10) << "the restart must replay log entries too";
    EXPECT_LE(testing::segment_files(tmp.path() / "wal").size(), 3u)
        << "segments before the last snapshot are deleted";
  }  // crash: nothing is flushed or closed politely

  Node node(tmp.path());
  EXPECT_EQ(node.disk.recovery().snapshot_index, snapshot_before);
  EXPECT_EQ(node.disk.hard_state().term, term_before);
  node.become_leader();  // re-applies the committed entries after the snapshot
  EXPECT_EQ(node.kv, before) << "snapshot + log replay gives back the same state";
  EXPECT_GT(node.core->status().hard_state.term, term_before);

  node.put(1000);
  node.drain();
  kv::RangeRequest read{.key = "key" + std::to_string(1000 % 37)};
  kv::RangeResponse got;
  ASSERT_EQ(node.kv.range(read, got), kv::KvError::ok);
  ASSERT_EQ(got.kvs.size(), 1u);
  EXPECT_EQ(got.kvs[0].value, "value 1000");
  EXPECT_EQ(got.kvs[0].mod_revision, 232);
}

}  // namespace
}  // namespace faultline::storage
