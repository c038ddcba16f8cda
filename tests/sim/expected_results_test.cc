// What the literature predicts, checked on the shipped catalogue over 20 seeds per profile
// (not one lucky seed): the seed paper's etcd findings on the cloudflare-2020 cut and on
// an intermittently isolated follower, and Omni-Paxos' quorum-loss and constrained
// election; and what TCP makes of a one-way cut. Every run must also keep Raft's safety
// invariants, and histories with reads must be linearizable. Runs go in parallel over every core.
// Labelled slow.
#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "analysis/analysis.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::sim {
namespace {

constexpr std::uint64_t kSeeds = 20;

// What one run showed, kept small so that many runs fit in memory.
struct RunFacts {
  std::uint64_t seed = 0;
  analysis::Summary summary;
  std::vector<record::Micros> heals;   // times the scenario's faults were undone
  std::vector<record::Micros> breaks;  // times a fault cut, crashed or paused something
  record::Micros end_us = 0;
  std::uint64_t cut_node_term_rise = 0;  // term rise of the node cut from the leader
  std::string violation;
};

int elections_in(const analysis::Summary& s, record::Micros from, record::Micros to) {
  int n = 0;
  for (const auto& e : s.elections) n += e.time_us >= from && e.time_us < to;
  return n;
}

// The node a `cut leader <-> follower[0]` separated from the leader, and how far its term
// rose between the cut and the heal (from the node samples).
std::uint64_t cut_node_term_rise(const record::RunRecord& r) {
  if (r.faults.empty() || r.faults[0].kind != record::FaultKind::cut || r.faults[0].links.empty())
    return 0;
  const record::Micros cut_at = r.faults[0].time_us;
  record::NodeId leader = 0;
  for (const auto& s : r.samples)
    if (s.time_us <= cut_at && s.role == record::Role::leader) leader = s.node;
  const auto& l = r.faults[0].links[0];
  const record::NodeId cut = l.from == leader ? l.to : l.from;
  std::uint64_t at_cut = 0, highest = 0;
  const record::Micros heal_at = r.meta.last_heal_us < 0 ? r.meta.duration_us : r.meta.last_heal_us;
  for (const auto& s : r.samples) {
    if (s.node != cut) continue;
    if (s.time_us <= cut_at) at_cut = s.term;
    if (s.time_us < heal_at) highest = std::max(highest, s.term);
  }
  return highest > at_cut ? highest - at_cut : 0;
}

// Runs `scenario` for `profile` over kSeeds seeds (in parallel), once per test binary.
// With `datagram`, under the loss model that drops messages one by one instead of
// stalling TCP streams (the textbook models' network).
const std::vector<RunFacts>& runs(const std::string& scenario_name, const std::string& profile,
                                  double read_share = -1, bool datagram = false) {
  static std::map<std::string, std::vector<RunFacts>> cache;
  static std::map<std::string, Scenario> scenarios;
  const std::string key = scenario_name + "/" + profile + "/" + std::to_string(read_share) +
                          (datagram ? "/datagram" : "");
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  Scenario& s = scenarios[key];
  s = parse_scenario_file(find_scenario(scenario_name));
  if (read_share >= 0) s.workload.read_share = read_share;
  if (datagram) s.network.loss_model = LinkParams::LossModel::datagram;
  const std::uint64_t seeds = read_share >= 0 ? 3 : kSeeds;
  std::vector<RunFacts> facts(seeds);
  parallel_for(seeds, 0, [&](std::size_t i) {
    SimResult res = simulate(SimRequest{&s, profile, 1 + i, {}});
    RunFacts& f = facts[i];
    f.seed = 1 + i;
    f.summary = analysis::analyze(res.record);
    f.violation = res.record.meta.violation;
    for (const auto& ev : res.record.faults)
      if (ev.kind == record::FaultKind::heal || ev.kind == record::FaultKind::restart)
        f.heals.push_back(ev.time_us);
      else
        f.breaks.push_back(ev.time_us);
    f.end_us = res.record.meta.duration_us;
    f.cut_node_term_rise = cut_node_term_rise(res.record);
  });
  for (const auto& f : facts) {
    EXPECT_EQ(f.summary.invariant_violations, 0u)
        << scenario_name << "/" << profile << " seed " << f.seed << ": " << f.violation;
    EXPECT_NE(f.summary.linearizable, std::optional<bool>(false))
        << scenario_name << "/" << profile << " seed " << f.seed << ": "
        << f.summary.linearizability_detail;
  }
  return cache[key] = std::move(facts);
}

std::string where(const RunFacts& f) { return "seed " + std::to_string(f.seed); }

double delayed_share_during(const analysis::Summary& s) {
  return s.during.ops_offered ? static_cast<double>(s.during.ops_delayed) / s.during.ops_offered
                              : 0;
}

TEST(Cloudflare2020, TextbookRaftElectsDuringTheCut) {
  for (const auto& f : runs("cloudflare-2020", "raft"))
    EXPECT_GE(f.summary.during.elections, 1) << where(f);
}

// The one election comes after the heal, once the cut node's term reaches the leader: the
// connections, given up during the 20 s cut, redial (up to 0.3 s), the leader steps down,
// and the lagging cut node's vain campaigns can put off the next leader by a timeout or
// two. Over seeds 1-100 it comes within 2 s of the heal in 90 (in all within 2.6 s); real
// etcd 3.4 took 0.8-1.4 s in three lab runs. So: exactly one after the heal in every seed,
// within 3 s in every seed and within 2 s in nearly every one.
TEST(Cloudflare2020, Etcd34HasNoElectionDuringTheCutAndExactlyOneAtHeal) {
  int within_2s = 0, seeds = 0;
  for (const auto& f : runs("cloudflare-2020", "etcd-3.4")) {
    const auto& s = f.summary;
    ASSERT_EQ(f.heals.size(), 1u);
    ++seeds;
    EXPECT_EQ(s.during.elections, 0) << where(f);
    within_2s += elections_in(s, f.heals[0], f.heals[0] + 2'000'000) == 1;
    EXPECT_EQ(elections_in(s, f.heals[0], f.heals[0] + 3'000'000), 1) << where(f);
    EXPECT_EQ(s.after.elections, 1) << where(f);
    EXPECT_GE(f.cut_node_term_rise, 5u) << where(f) << ": the cut node's term climbs";
    const double delayed = delayed_share_during(s);
    EXPECT_GE(delayed, 0.20) << where(f) << ": about a third of requests go to the cut node";
    EXPECT_LE(delayed, 0.45) << where(f);
  }
  EXPECT_GE(within_2s, seeds - 3) << "of " << seeds << " seeds";
}

TEST(Cloudflare2020, Etcd35HasNoElectionAndNoTermRise) {
  for (const auto& f : runs("cloudflare-2020", "etcd-3.5")) {
    EXPECT_EQ(f.summary.during.elections, 0) << where(f);
    EXPECT_EQ(f.summary.after.elections, 0) << where(f);
    EXPECT_EQ(f.summary.during.term_increase, 0u) << where(f);
    EXPECT_EQ(f.summary.after.term_increase, 0u) << where(f);
    EXPECT_EQ(f.cut_node_term_rise, 0u) << where(f);
    EXPECT_EQ(f.summary.verdict, analysis::Verdict::stable)
        << where(f) << ": " << f.summary.verdict_reason;
  }
}

// follower[0]'s packets to the leader are dropped, the other way is up. Dropping messages,
// the follower still hears every heartbeat: nothing happens, whatever the profile.
TEST(OneWay, AModelOfMessagesSeesNothingHappen) {
  for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5"}) {
    for (const auto& f : runs("one-way", profile, -1, true)) {
      EXPECT_EQ(f.summary.during.elections + f.summary.after.elections, 0)
          << profile << " " << where(f);
      EXPECT_EQ(f.cut_node_term_rise, 0u) << profile << " " << where(f);
    }
  }
}

// Over TCP the leader's streams to the follower lose their acknowledgements and stall 0.2 s
// into the cut: it is the cloudflare cut, with the cloudflare outcome for every profile.
TEST(OneWay, OverTcpItIsTheCloudflareCut) {
  for (const auto& f : runs("one-way", "raft")) {
    EXPECT_GE(f.summary.during.elections, 1) << where(f);
    EXPECT_GE(f.cut_node_term_rise, 1u) << where(f);
  }
  for (const auto& f : runs("one-way", "etcd-3.4")) {
    ASSERT_EQ(f.heals.size(), 1u);
    EXPECT_EQ(f.summary.during.elections, 0) << where(f);
    EXPECT_EQ(f.summary.after.elections, 1) << where(f);
    EXPECT_EQ(elections_in(f.summary, f.heals[0], f.heals[0] + 3'000'000), 1) << where(f);
    EXPECT_GE(f.cut_node_term_rise, 20u) << where(f) << ": about one campaign per timeout";
  }
  for (const auto& f : runs("one-way", "etcd-3.5")) {
    EXPECT_EQ(f.summary.during.elections + f.summary.after.elections, 0) << where(f);
    EXPECT_EQ(f.cut_node_term_rise, 0u) << where(f);
  }
}

TEST(LeaderCrash, EveryProfileElectsExactlyOneNewLeaderWithinThreeTimeouts) {
  for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5"}) {
    for (const auto& f : runs("leader-crash", profile)) {
      EXPECT_EQ(f.summary.during.elections, 1) << profile << " " << where(f);
      EXPECT_EQ(f.summary.after.elections, 0)
          << profile << " " << where(f) << ": the restarted node does not disturb";
      EXPECT_LT(f.summary.during.longest_gap_ms, 3 * 500.0) << profile << " " << where(f);
    }
  }
}

TEST(IntermittentFull, Etcd34ElectsOncePerReconnection) {
  for (const auto& f : runs("intermittent-full", "etcd-3.4")) {
    ASSERT_EQ(f.heals.size(), 3u);
    ASSERT_EQ(f.breaks.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      // None while the follower is away; exactly one between its return and the next
      // isolation (its higher term deposes the leader; the election that follows can take a
      // few rounds, because its campaigns keep resetting the others' timers).
      const record::Micros next = i + 1 < 3 ? f.breaks[i + 1] : f.end_us;
      EXPECT_EQ(elections_in(f.summary, f.breaks[i], f.heals[i]), 0)
          << where(f) << " isolation " << i;
      EXPECT_EQ(elections_in(f.summary, f.heals[i], next), 1) << where(f) << " reconnection " << i;
    }
    EXPECT_EQ(f.summary.during.elections + f.summary.after.elections, 3) << where(f);
  }
}

TEST(IntermittentFull, Etcd35NeverElects) {
  for (const auto& f : runs("intermittent-full", "etcd-3.5")) {
    EXPECT_EQ(f.summary.during.elections, 0) << where(f);
    EXPECT_EQ(f.summary.after.elections, 0) << where(f);
  }
}

TEST(QuorumLoss, RaftAndEtcdRecoverButTheThesisPreVoteDeadlocks) {
  for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5"})
    for (const auto& f : runs("quorum-loss", profile))
      EXPECT_NE(f.summary.verdict, analysis::Verdict::deadlock)
          << profile << " " << where(f) << ": " << f.summary.verdict_reason;
  for (const auto& f : runs("quorum-loss", "thesis-prevote"))
    EXPECT_EQ(f.summary.verdict, analysis::Verdict::deadlock)
        << where(f) << ": " << f.summary.verdict_reason;
}

TEST(ConstrainedElection, EveryRaftVariantDeadlocks) {
  for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5"})
    for (const auto& f : runs("constrained-election", profile))
      EXPECT_EQ(f.summary.verdict, analysis::Verdict::deadlock)
          << profile << " " << where(f) << ": " << f.summary.verdict_reason;
}

TEST(Safety, EveryCatalogueScenarioWithReadsStaysSafeAndLinearizable) {
  for (const char* scenario :
       {"leader-crash", "cloudflare-2020", "intermittent-full", "flapping-link", "quorum-loss",
        "constrained-election", "chained", "lossy-link", "one-way"}) {
    for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5", "thesis-prevote"}) {
      for (const auto& f : runs(scenario, profile, 0.2))
        EXPECT_EQ(f.summary.linearizable, std::optional<bool>(true))
            << scenario << "/" << profile << " " << where(f) << ": " << f.summary.linearizability
            << " " << f.summary.linearizability_detail;
    }
  }
}

}  // namespace
}  // namespace faultline::sim
