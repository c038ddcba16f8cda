// What the figures draw, checked as numbers: fault periods and their labels, each node's
// roles and terms, and where the elections fall.
#include "report/series.h"

#include <gtest/gtest.h>

#include "synthetic_run.h"

namespace faultline::report {
namespace {

using record::FaultEvent;
using record::FaultKind;

FaultEvent event(Micros at, FaultKind kind, std::string label, std::vector<record::Link> links,
                 std::vector<NodeId> nodes = {}) {
  FaultEvent e;
  e.time_us = at;
  e.kind = kind;
  e.label = std::move(label);
  e.links = std::move(links);
  e.nodes = std::move(nodes);
  return e;
}

record::RunRecord with_faults(std::vector<FaultEvent> faults) {
  record::RunRecord run;
  run.meta.nodes = {1, 2, 3};
  run.meta.duration_us = 60'000'000;
  run.faults = std::move(faults);
  return run;
}

TEST(FaultPeriods, ACutBothWaysAndItsHealAreOneHealedPeriodNamedWithADoubleArrow) {
  auto run = with_faults(
      {event(20'000'000, FaultKind::cut, "cut leader <-> follower[0]", {{3, 1}, {1, 3}}),
       event(40'000'000, FaultKind::heal, "heal", {{3, 1}, {1, 3}})});
  auto periods = fault_periods(run, 60'000'000);
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].start_us, 20'000'000);
  EXPECT_EQ(periods[0].end_us, 40'000'000);
  EXPECT_TRUE(periods[0].healed);
  EXPECT_EQ(periods[0].summary, "cut n1 ↔ n3");
  EXPECT_EQ(periods[0].scenario, "cut leader <-> follower[0]");
}

TEST(FaultPeriods, AOneWayCutNamesTheDirectionAndSimultaneousEventsAreOneChange) {
  // Two one-way cuts at 5 s (two events, one instant), then one of them heals at 7 s.
  auto run = with_faults({event(5'000'000, FaultKind::cut, "a", {{1, 2}}),
                          event(5'000'000, FaultKind::cut, "b", {{2, 3}}),
                          event(7'000'000, FaultKind::heal, "", {{1, 2}}),
                          event(9'000'000, FaultKind::heal, "", {})});
  auto periods = fault_periods(run, 60'000'000);
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].summary, "cut n1 → n2, n2 → n3");
  EXPECT_EQ(periods[0].scenario, "a; b");
  EXPECT_EQ(periods[0].end_us, 7'000'000);
  EXPECT_FALSE(periods[0].healed) << "a change to other faults is not a heal";
  EXPECT_EQ(periods[1].summary, "cut n2 → n3");
  EXPECT_EQ(periods[1].start_us, 7'000'000);
  EXPECT_EQ(periods[1].end_us, 9'000'000) << "a bare heal heals every link";
  EXPECT_TRUE(periods[1].healed);
}

TEST(FaultPeriods, AFaultNeverHealedLastsToTheEndOfTheRun) {
  auto run =
      with_faults({event(30'000'000, FaultKind::cut, "isolate", {{1, 2}, {2, 1}, {1, 3}, {3, 1}})});
  auto periods = fault_periods(run, 60'000'000);
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].end_us, 60'000'000);
  EXPECT_FALSE(periods[0].healed);
  EXPECT_EQ(periods[0].summary, "cut n1 ↔ n2, n1 ↔ n3");
}

TEST(FaultPeriods, LossAndCrashesAreNamedToo) {
  FaultEvent loss = event(10'000'000, FaultKind::loss, "lossy", {{1, 3}, {3, 1}});
  loss.loss = 0.7;
  FaultEvent crash = event(12'000'000, FaultKind::crash, "crash leader", {}, {3});
  FaultEvent restart = event(15'000'000, FaultKind::restart, "restart", {}, {3});
  FaultEvent heal = event(20'000'000, FaultKind::heal, "heal", {});
  auto periods = fault_periods(with_faults({loss, crash, restart, heal}), 60'000'000);
  ASSERT_EQ(periods.size(), 3u);
  EXPECT_EQ(periods[0].summary, "loss 70% n1 ↔ n3");
  EXPECT_EQ(periods[1].summary, "loss 70% n1 ↔ n3; crashed n3");
  EXPECT_EQ(periods[2].summary, "loss 70% n1 ↔ n3");
  EXPECT_EQ(periods[2].end_us, 20'000'000);
  EXPECT_TRUE(periods[2].healed);
}

TEST(FaultPeriods, AnEventThatChangesNothingStartsNoPeriod) {
  auto run = with_faults({event(1'000'000, FaultKind::heal, "heal nothing", {})});
  EXPECT_TRUE(fault_periods(run, 60'000'000).empty());
}

TEST(NodeTimelines, TheCutFollowersTermClimbsWhileTheLeaderKeepsItsOwn) {
  testing::SyntheticRun params;  // etcd-3.4: cut 20..40 s
  auto run = testing::make_run(params);
  std::vector<analysis::Election> elections{{1'050'000, 3, 2}, {41'250'000, 2, 31}};
  auto nodes = node_timelines(run, 60'000'000, elections);
  ASSERT_EQ(nodes.size(), 3u);
  const auto& n1 = nodes[0];
  const auto& n3 = nodes[2];
  EXPECT_EQ(n1.node, 1u);
  // n1: the term rises once per campaign during the cut, never falls.
  std::uint64_t during_cut = 0;
  for (std::size_t i = 1; i < n1.terms.size(); ++i) {
    EXPECT_GT(n1.terms[i].term, n1.terms[i - 1].term);
    if (n1.terms[i].at_us > 20'000'000 && n1.terms[i].at_us < 40'000'000) ++during_cut;
  }
  EXPECT_GE(during_cut, 20u);
  // n3 keeps term 2 and leads until the heal deposes it.
  ASSERT_FALSE(n3.roles.empty());
  bool led_through_cut = false;
  for (const auto& span : n3.roles) {
    if (span.role == record::Role::leader && span.start_us <= 20'000'000 &&
        span.end_us >= 40'000'000) {
      led_through_cut = true;
    }
  }
  EXPECT_TRUE(led_through_cut);
  // Consecutive spans never repeat a role, and the last reaches the end of the run.
  for (const auto& node : nodes) {
    for (std::size_t i = 1; i < node.roles.size(); ++i) {
      EXPECT_NE(node.roles[i].role, node.roles[i - 1].role);
      EXPECT_EQ(node.roles[i].start_us, node.roles[i - 1].end_us);
    }
    EXPECT_EQ(node.roles.back().end_us, 60'000'000);
  }
  // The elections are attached to the node that won them.
  EXPECT_EQ(nodes[2].elected_us, std::vector<Micros>{1'050'000});
  EXPECT_EQ(nodes[1].elected_us, std::vector<Micros>{41'250'000});
  EXPECT_TRUE(nodes[0].elected_us.empty());
}

}  // namespace
}  // namespace faultline::report
