// The nemesis: random fault timelines that always parse, are the same for the same seed,
// use every kind of fault over a few hundred seeds, undo everything before the quiet end,
// and leave out what they are asked to; and the checks a nemesis run must pass, each shown
// to fail on a run that breaks it.
#include "sim/nemesis.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sim/simulator.h"

namespace faultline::sim {
namespace {

TEST(Nemesis, EverySeedParsesAndTheSameSeedGivesTheSameText) {
  for (int nodes : {2, 3, 5, 7}) {
    NemesisOptions o;
    o.nodes = nodes;
    std::set<std::string> texts;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
      const std::string text = nemesis_text(o, seed);
      ASSERT_EQ(text, nemesis_text(o, seed));
      Scenario s;
      ASSERT_NO_THROW(s = nemesis_scenario(o, seed)) << text;
      EXPECT_EQ(s.name, "nemesis-" + std::to_string(seed));
      EXPECT_EQ(s.nodes, nodes);
      EXPECT_GT(s.workload.read_share, 0);
      EXPECT_FALSE(s.faults.empty()) << text;
      texts.insert(text);
    }
    EXPECT_EQ(texts.size(), 300u) << "seeds that gave the same timeline";
  }
}

// Every kind of fault and link shape the format has shows up over a few hundred seeds.
TEST(Nemesis, ManySeedsUseEveryKindOfFault) {
  std::set<std::string> seen;
  for (int nodes : {3, 5}) {
    NemesisOptions o;
    o.nodes = nodes;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
      for (const Fault& f : nemesis_scenario(o, seed).faults) {
        switch (f.action) {
          case Fault::Action::cut:
            seen.insert("cut");
            break;
          case Fault::Action::degrade:
            seen.insert(f.loss ? "loss" : "delay");
            break;
          case Fault::Action::heal:
            seen.insert(f.all ? "heal all" : "heal by name");
            break;
          case Fault::Action::crash:
            seen.insert("crash");
            break;
          case Fault::Action::restart:
            seen.insert(f.all ? "restart all" : "restart by name");
            break;
          case Fault::Action::pause:
            seen.insert("pause");
            break;
          case Fault::Action::resume:
            seen.insert(f.all ? "resume all" : "resume by name");
            break;
        }
        if (f.repeat) seen.insert("repeat");
        for (const auto& shape : f.shapes)
          seen.insert("shape " + std::to_string(static_cast<int>(shape.kind)));
        for (const auto& n : f.nodes)
          seen.insert("node ref " + std::to_string(static_cast<int>(n.kind)));
        for (const auto& shape : f.shapes)
          for (const auto& n : shape.nodes)
            seen.insert("node ref " + std::to_string(static_cast<int>(n.kind)));
      }
    }
  }
  const std::set<std::string> expected = {
      "cut", "loss", "delay", "heal all", "heal by name", "crash", "restart all", "restart by name",
      "pause", "resume all", "resume by name", "repeat",
      // LinkShape kinds: cut, one_way, isolate, bridge, partition
      "shape 0", "shape 1", "shape 2", "shape 3", "shape 4",
      // NodeRef kinds: leader, follower, node
      "node ref 0", "node ref 1", "node ref 2"};
  for (const auto& kind : expected) EXPECT_TRUE(seen.count(kind)) << kind;
}

// Nothing breaks after `duration - quiet_end`: at that instant every link is healed, every
// crashed node restarted and every paused one resumed, and every repetition is over.
TEST(Nemesis, EverythingIsUndoneBeforeTheQuietEnd) {
  NemesisOptions o;
  o.nodes = 5;
  const Micros end = o.duration_us - o.quiet_end_us;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Scenario s = nemesis_scenario(o, seed);
    bool links = false, crashes = false, pauses = false;
    bool healed = false, restarted = false, resumed = false;
    for (const Fault& f : s.faults) {
      EXPECT_GE(f.at_us, o.first_fault_us);
      EXPECT_LE(f.at_us, end) << "seed " << seed << ": " << f.label;
      if (f.repeat) {
        EXPECT_LT(f.at_us + f.repeat->every_us * (f.repeat->count - 1) + f.repeat->duration_us, end)
            << "seed " << seed << ": " << f.label;
      }
      if (f.at_us == end) {
        EXPECT_TRUE(f.all) << "seed " << seed << ": at the quiet end only undo all: " << f.label;
        healed |= f.action == Fault::Action::heal;
        restarted |= f.action == Fault::Action::restart;
        resumed |= f.action == Fault::Action::resume;
      }
      links |= f.action == Fault::Action::cut || f.action == Fault::Action::degrade;
      crashes |= f.action == Fault::Action::crash;
      pauses |= f.action == Fault::Action::pause;
    }
    EXPECT_EQ(healed, links) << "seed " << seed;
    EXPECT_EQ(restarted, crashes) << "seed " << seed;
    EXPECT_EQ(resumed, pauses) << "seed " << seed;
  }
}

TEST(Nemesis, LeavesOutDelaysAndProcessFaultsWhenAsked) {
  NemesisOptions o;
  o.delays = false;
  o.processes = false;
  for (std::uint64_t seed = 1; seed <= 200; ++seed)
    for (const Fault& f : nemesis_scenario(o, seed).faults) {
      EXPECT_FALSE(f.delay_us.has_value()) << f.label;
      EXPECT_TRUE(f.action == Fault::Action::cut || f.action == Fault::Action::degrade ||
                  f.action == Fault::Action::heal)
          << f.label;
    }
}

// Half the seeds take snapshots, at counts small enough that followers need them; etcd's
// catch-up entries are left alone when asked, and every snapshot setting when asked.
TEST(Nemesis, HalfTheSeedsTakeSnapshotsAndTheOptionsTurnThemOff) {
  const SnapshotParams etcd;
  NemesisOptions o;
  int with = 0, catch_up = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const SnapshotParams p = nemesis_scenario(o, seed).snapshot;
    if (p == etcd) continue;
    ++with;
    EXPECT_LE(p.count, 1000) << "seed " << seed;
    catch_up += p.catch_up_entries <= 100;
  }
  EXPECT_GT(with, 60);
  EXPECT_LT(with, 140);
  EXPECT_EQ(catch_up, with);
  o.catch_up = false;
  int counts = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const SnapshotParams p = nemesis_scenario(o, seed).snapshot;
    EXPECT_EQ(p.catch_up_entries, etcd.catch_up_entries) << "seed " << seed;
    counts += p.count != etcd.count;
  }
  EXPECT_GT(counts, 60);
  o.snapshots = false;
  for (std::uint64_t seed = 1; seed <= 200; ++seed)
    EXPECT_EQ(nemesis_scenario(o, seed).snapshot, etcd) << "seed " << seed;
}

TEST(Nemesis, RefusesOptionsItCannotMakeATimelineFrom) {
  NemesisOptions o;
  EXPECT_EQ(nemesis_problem(o), "");
  o.nodes = 1;
  EXPECT_NE(nemesis_problem(o), "");
  o.nodes = 16;
  EXPECT_NE(nemesis_problem(o), "");
  o = {};
  o.duration_us = 8'000'000;  // 2 s before the first fault + 6 s quiet end
  EXPECT_NE(nemesis_problem(o).find("no time for faults"), std::string::npos);
  o = {};
  o.read_share = 1.5;
  EXPECT_NE(nemesis_problem(o), "");
}

// The checks themselves: a run that passes, then one breaking each check.
record::RunRecord run_with_last_write_at(Micros completed_us) {
  record::RunRecord r;
  r.meta.duration_us = 30'000'000;
  record::Operation op;
  op.kind = record::OpKind::write;
  op.outcome = record::Outcome::ok;
  op.completed_us = completed_us;
  r.ops.push_back(op);
  return r;
}

TEST(NemesisChecks, EachCheckFailsARunThatBreaksIt) {
  analysis::Summary fine;
  fine.linearizable = true;
  EXPECT_TRUE(nemesis_problems(run_with_last_write_at(29'000'000), fine).empty());

  auto unsafe = run_with_last_write_at(29'000'000);
  unsafe.meta.invariant_violations = 1;
  unsafe.meta.violation = "two leaders in term 4";
  auto p = nemesis_problems(unsafe, fine);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "safety: two leaders in term 4");

  analysis::Summary stale = fine;
  stale.linearizable = false;
  stale.linearizability_detail = "a stale read of k1";
  p = nemesis_problems(run_with_last_write_at(29'000'000), stale);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "not linearizable: a stale read of k1");

  p = nemesis_problems(run_with_last_write_at(26'000'000), fine);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("stuck"), std::string::npos);

  // Every node must catch up: what was committed 3 s before the end is applied everywhere.
  auto with_samples = [](std::uint64_t n2_applied, record::Role n2_role) {
    auto r = run_with_last_write_at(29'000'000);
    r.samples = {{26'000'000, 1, record::Role::leader, 3, 1, 500, 500},
                 {26'000'000, 2, record::Role::follower, 3, 1, 480, 480},
                 {29'900'000, 1, record::Role::leader, 3, 1, 900, 900},
                 {29'900'000, 2, n2_role, 3, 1, n2_applied, n2_applied}};
    return r;
  };
  EXPECT_TRUE(nemesis_problems(with_samples(500, record::Role::follower), fine).empty());
  p = nemesis_problems(with_samples(499, record::Role::follower), fine);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0],
            "behind: node 2 applied up to index 499 by the end, but index 500 was committed 3s "
            "before");
  p = nemesis_problems(with_samples(0, record::Role::down), fine);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "node 2 is down at the end");
  // Only samples within the run count: catching up after its end (the lab samples on
  // while it finishes) is too late.
  auto late = with_samples(499, record::Role::follower);
  late.samples.push_back({30'400'000, 2, record::Role::follower, 3, 1, 900, 900});
  p = nemesis_problems(late, fine);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("behind: node 2 applied up to index 499"), std::string::npos) << p[0];

  // Undecided linearizability is not a failure; a run without a client cannot be stuck.
  analysis::Summary unknown;
  EXPECT_TRUE(nemesis_problems(run_with_last_write_at(29'000'000), unknown).empty());
  record::RunRecord idle;
  idle.meta.duration_us = 30'000'000;
  EXPECT_TRUE(nemesis_problems(idle, fine).empty());
}

// A few timelines run in the simulator on every profile pass every check (the CLI test and
// `faultline nemesis` run many more).
TEST(NemesisRuns, AFewSeedsOnEveryProfilePass) {
  NemesisOptions o;
  o.duration_us = 15'000'000;
  o.quiet_end_us = 5'000'000;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Scenario s = nemesis_scenario(o, seed);
    for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5", "prevote", "thesis-prevote"}) {
      SimResult r = simulate({&s, profile, seed, {}});
      const auto summary = analysis::analyze(r.record);
      EXPECT_EQ(nemesis_problems(r.record, summary), std::vector<std::string>{})
          << "seed " << seed << ", " << profile;
      EXPECT_TRUE(summary.linearizable.has_value()) << summary.linearizability;
    }
  }
}

}  // namespace
}  // namespace faultline::sim
