// A randomized story against a model: a node appends (with conflicting suffixes), votes,
// commits, takes snapshots, receives snapshots from a leader, and crashes at random moments,
// on tiny segments so rolls and segment deletions happen all the time. After every crash the
// recovered state must equal exactly what was synced — no more, no less. Each seed replays
// the same story; a failure prints it.
#include <gtest/gtest.h>

#include <random>

#include "storage/disk_storage.h"
#include "temp_dir.h"

namespace faultline::storage {
namespace {

struct Model {
  raft::HardState hard_state;
  raft::Index snap_index = 0;
  raft::Term snap_term = 0;
  std::string snap_data;
  std::vector<raft::Entry> log;  // entries after the snapshot

  raft::Index last() const { return log.empty() ? snap_index : log.back().index; }
  raft::Term term_at(raft::Index i) const {
    return i == snap_index ? snap_term : log.at(i - snap_index - 1).term;
  }
};

void expect_matches(const DiskStorage& s, const Model& m, const std::string& when) {
  SCOPED_TRACE(when);
  EXPECT_EQ(s.hard_state(), m.hard_state);
  raft::Snapshot snap;
  ASSERT_EQ(s.snapshot(snap), raft::ErrorCode::ok);
  EXPECT_EQ(snap.metadata.index, m.snap_index);
  EXPECT_EQ(snap.metadata.term, m.snap_term);
  EXPECT_EQ(snap.data, m.snap_data);
  ASSERT_EQ(s.last_index(), m.last());
  std::vector<raft::Entry> tail;
  ASSERT_EQ(s.entries(m.snap_index + 1, m.last() + 1, UINT64_MAX, tail), raft::ErrorCode::ok);
  EXPECT_EQ(tail, m.log);
}

void run_story(std::uint64_t seed) {
  testing::TempDir tmp;
  const DiskStorageOptions options{tmp.path(), /*segment_bytes=*/1024, /*catch_up_entries=*/3};
  std::mt19937_64 rng(seed);
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  auto storage = std::make_unique<DiskStorage>(options);
  Model pending;  // what the storage holds in memory
  Model durable;  // what survives a crash
  raft::Term term = 1;
  int crashes = 0;
  int snapshots = 0;

  for (int step = 0; step < 150; ++step) {
    const std::string when = "seed " + std::to_string(seed) + ", step " + std::to_string(step);
    const auto dice = pick(0, 99);
    if (dice < 40) {  // append, possibly replacing an uncommitted suffix
      const raft::Index floor = std::max(pending.hard_state.commit, pending.snap_index) + 1;
      const raft::Index lo = pick(floor, pending.last() + 1);
      if (lo <= pending.last()) ++term;  // only a new leader overwrites
      std::vector<raft::Entry> batch;
      for (raft::Index i = lo; i < lo + pick(1, 4); ++i) {
        batch.push_back({term, i, std::string(pick(20, 150), static_cast<char>('a' + i % 26))});
      }
      raft::HardState hs = pending.hard_state;
      hs.term = term;
      const bool with_hard_state = pick(0, 1) == 1;
      storage->save(with_hard_state ? &hs : nullptr, batch);
      pending.log.resize(lo - pending.snap_index - 1);
      pending.log.insert(pending.log.end(), batch.begin(), batch.end());
      if (with_hard_state) pending.hard_state = hs;
    } else if (dice < 55) {  // vote and commit
      raft::HardState hs{term, pick(0, 3), pick(pending.hard_state.commit, pending.last())};
      storage->save(&hs, {});
      pending.hard_state = hs;
    } else if (dice < 75) {
      storage->sync();
      durable = pending;
    } else if (dice < 85) {  // the application snapshots what it applied
      if (pending.hard_state.commit <= pending.snap_index) continue;
      const raft::Index at = pick(pending.snap_index + 1, pending.hard_state.commit);
      const std::string data = "applied through " + std::to_string(at);
      storage->create_snapshot(at, {1, 2, 3}, data);
      pending.snap_term = pending.term_at(at);
      pending.log.erase(pending.log.begin(), pending.log.begin() + (at - pending.snap_index));
      pending.snap_index = at;
      pending.snap_data = data;
      durable = pending;  // a snapshot syncs everything before it
      ++snapshots;
    } else if (dice < 90) {  // a leader's snapshot past our log replaces it
      const raft::Index at = pending.last() + pick(1, 10);
      ++term;
      const std::string data = "leader state at " + std::to_string(at);
      storage->apply_snapshot(raft::Snapshot{data, {at, term, {1, 2, 3}}});
      pending.log.clear();
      pending.snap_index = at;
      pending.snap_term = term;
      pending.snap_data = data;
      durable = pending;
      ++snapshots;
    } else {  // crash: whatever was not synced is gone
      storage.reset();
      storage = std::make_unique<DiskStorage>(options);
      pending = durable;
      expect_matches(*storage, durable, when + " (after a crash)");
      ++crashes;
      if (::testing::Test::HasFailure()) return;
    }
  }
  storage.reset();
  storage = std::make_unique<DiskStorage>(options);
  expect_matches(*storage, durable, "seed " + std::to_string(seed) + ", final restart");
  // The story must have exercised what it is about.
  EXPECT_GT(crashes, 3) << "seed " << seed;
  EXPECT_GT(snapshots, 3) << "seed " << seed;
}

TEST(DiskStorageModel, EveryCrashRecoversExactlyWhatWasSynced) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    run_story(seed);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace faultline::storage
