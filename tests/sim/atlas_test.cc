// The atlas: the enumeration lists every case exactly once (counted by hand for 3 nodes,
// cross-checked by brute force for 3 and 4, against the known number of rooted graphs for
// 5), isomorphic cut patterns merge, quorum-connected nodes are marked right, a lagging
// node really lags, and a small explore run shows the seed paper's finding on the
// cloudflare shape and writes a file `faultline report` reads.
#include "report/atlas.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <stdexcept>
#include <tuple>

#include "sim/atlas.h"
#include "sim/simulator.h"
#include "sim/topology.h"

namespace faultline::sim {
namespace {

std::vector<std::string> ids_of(const std::vector<TopologyCase>& cases) {
  std::vector<std::string> ids;
  for (const auto& c : cases) ids.push_back(c.id);
  return ids;
}

// Three nodes {1, 2, 3}, by hand. Up to isomorphism there are 4 cut graphs: nothing cut,
// one link cut (the cloudflare shape), two cut (one node isolated), all three cut.
//   t01 nothing cut:  every leader position is alike (1);            lagging: the two
//                     followers are alike (1)                         -> 1 + 1 = 2 cases
//   t02 1-2 cut:      leader at an end of the cut (1) or at the
//                     bridge node 3 (2 positions).  Leader 1: lagging 2 (cut from it) or 3
//                     (2); leader 3: 1 and 2 are alike (1)            -> 2 + 3 = 5 cases
//   t03 1-2, 1-3 cut: leader isolated (node 1) or one of the linked pair (2 positions).
//                     Leader 1: lagging 2 and 3 alike (1); leader 2: lagging 1 (isolated)
//                     or 3 (its partner) (2)                          -> 2 + 3 = 5 cases
//   t04 all cut:      1 leader position, 1 lagging position           -> 1 + 1 = 2 cases
// In all 6 (graph, leader) cases and 8 with a lagging node: 14.
TEST(AtlasTopologies, ThreeNodesHaveFourGraphsSixLeaderPositionsAndEightLaggingVariants) {
  const auto cases = enumerate_topologies(3);
  EXPECT_EQ(ids_of(cases),
            (std::vector<std::string>{"t01-1", "t01-1+a2", "t02-1", "t02-1+a2", "t02-1+a3", "t02-3",
                                      "t02-3+a1", "t03-1", "t03-1+a2", "t03-2", "t03-2+a1",
                                      "t03-2+a3", "t04-1", "t04-1+a2"}));
  std::set<int> graphs;
  int rooted = 0, lagging = 0;
  for (const auto& c : cases) {
    graphs.insert(c.graph);
    (c.lagging < 0 ? rooted : lagging) += 1;
  }
  EXPECT_EQ(graphs.size(), 4u);
  EXPECT_EQ(rooted, 6);
  EXPECT_EQ(lagging, 8);
  // The cloudflare case: 1-2 cut, the leader at one end of it.
  EXPECT_EQ(cases[2].cut_edges, (std::vector<std::pair<int, int>>{{0, 1}}));
  EXPECT_EQ(cases[2].leader, 0);
}

// Brute force, independent of the orbit computation: the number of distinct classes of
// labelled (cut mask, leader, lagging) triples under every relabelling.
std::size_t brute_force_classes(int n, bool with_lagging) {
  const auto pairs = edge_pairs(n);
  std::vector<int> perm(static_cast<std::size_t>(n));
  std::set<std::tuple<std::uint32_t, int, int>> classes;
  for (std::uint32_t mask = 0; mask < (1u << pairs.size()); ++mask)
    for (int leader = 0; leader < n; ++leader)
      for (int lag = with_lagging ? 0 : -1; lag < (with_lagging ? n : 0); ++lag) {
        if (lag == leader) continue;
        std::tuple<std::uint32_t, int, int> best{~0u, n, n};
        std::iota(perm.begin(), perm.end(), 0);
        do {
          std::uint32_t m = 0;
          for (std::size_t k = 0; k < pairs.size(); ++k) {
            if (!(mask >> k & 1u)) continue;
            int a = perm[static_cast<std::size_t>(pairs[k].first)];
            int b = perm[static_cast<std::size_t>(pairs[k].second)];
            auto at =
                std::find(pairs.begin(), pairs.end(), std::pair{std::min(a, b), std::max(a, b)});
            m |= 1u << (at - pairs.begin());
          }
          best = std::min(best, std::tuple{m, perm[static_cast<std::size_t>(leader)],
                                           lag < 0 ? -1 : perm[static_cast<std::size_t>(lag)]});
        } while (std::next_permutation(perm.begin(), perm.end()));
        classes.insert(best);
      }
  return classes.size();
}

TEST(AtlasTopologies, EveryCaseIsListedExactlyOnceAsBruteForceCountsThem) {
  for (int n : {3, 4}) {
    const auto cases = enumerate_topologies(n);
    std::size_t rooted = 0, lagging = 0;
    for (const auto& c : cases) (c.lagging < 0 ? rooted : lagging) += 1;
    EXPECT_EQ(rooted, brute_force_classes(n, false)) << n << " nodes";
    EXPECT_EQ(lagging, brute_force_classes(n, true)) << n << " nodes";
  }
}

TEST(AtlasTopologies, FiveNodesGiveTheKnownNumbersOfGraphsAndRootedGraphs) {
  // Graphs on 5 unlabelled vertices: 34; rooted graphs on 5 vertices: 90 (OEIS A000088,
  // A000666).
  const auto cases = enumerate_topologies(5);
  std::set<int> graphs;
  int rooted = 0;
  for (const auto& c : cases) {
    graphs.insert(c.graph);
    rooted += c.lagging < 0;
  }
  EXPECT_EQ(graphs.size(), 34u);
  EXPECT_EQ(rooted, 90);
}

TEST(AtlasTopologies, IsomorphicCutPatternsMergeAndDifferentOnesDoNot) {
  // 4 nodes, pairs in order 1-2, 1-3, 1-4, 2-3, 2-4, 3-4 (bits 0..5).
  const std::uint32_t cut_12 = 1u << 0, cut_34 = 1u << 5, cut_13 = 1u << 1, cut_24 = 1u << 4;
  EXPECT_EQ(canonical_mask(4, cut_12), canonical_mask(4, cut_34));
  EXPECT_EQ(canonical_mask(4, cut_12 | cut_34), canonical_mask(4, cut_13 | cut_24))
      << "two disjoint cuts are alike however labelled";
  EXPECT_NE(canonical_mask(4, cut_12 | cut_34), canonical_mask(4, cut_12 | cut_13))
      << "two disjoint cuts are not two cuts at one node";
  std::set<std::uint32_t> classes;
  for (std::uint32_t m = 0; m < 64; ++m) classes.insert(canonical_mask(4, m));
  EXPECT_EQ(classes.size(), 11u) << "there are 11 graphs on 4 vertices";
  int graphs = 0;
  for (const auto& c : enumerate_topologies(4)) graphs = std::max(graphs, c.graph + 1);
  EXPECT_EQ(graphs, 11);
}

TEST(AtlasTopologies, QuorumConnectedNodesAreThoseLinkedToAMajority) {
  // 3 nodes: one link to anyone is a majority (itself and one other).
  EXPECT_EQ(quorum_connected(3, 0), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(quorum_connected(3, 0b001), (std::vector<int>{0, 1, 2})) << "cloudflare: all three";
  EXPECT_EQ(quorum_connected(3, 0b011), (std::vector<int>{1, 2})) << "node 1 isolated";
  EXPECT_TRUE(quorum_connected(3, 0b111).empty()) << "everything cut";
  // 5 nodes, constrained election: node 1 (the old leader) isolated; nodes 3, 4, 5 cut from
  // each other; node 2 still linked to 3, 4, 5. Only node 2 reaches a majority (2+3+4+5).
  const auto pairs = edge_pairs(5);
  std::uint32_t mask = 0;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    auto [a, b] = pairs[k];
    if (a == 0 || (a >= 2 && b >= 2)) mask |= 1u << k;
  }
  EXPECT_EQ(quorum_connected(5, mask), (std::vector<int>{1}));
  // Quorum loss without any quorum-connected node: a ring 1-2-3-4-5-1 has degree 2, so each
  // node reaches itself and two others: 3 of 5, a majority. Cut one more and 2 nodes drop.
  std::uint32_t ring_cut = 0;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    auto [a, b] = pairs[k];
    if (b - a != 1 && !(a == 0 && b == 4)) ring_cut |= 1u << k;
  }
  EXPECT_EQ(quorum_connected(5, ring_cut).size(), 5u);
  EXPECT_EQ(quorum_connected(5, ring_cut | 1u).size(), 3u) << "cutting 1-2 of the ring";
}

TEST(AtlasScenario, ALaggingNodeIsCutFromTheLeaderFirstAndGetsTheLinkBackIfTheTopologyKeepsIt) {
  const auto cases = enumerate_topologies(3);
  ExploreOptions o;
  // t02-3+a1: 1-2 cut, leader at 3, node 1 lags; the topology keeps 3-1, so the lag link
  // is given back when the topology is applied.
  auto it = std::find_if(cases.begin(), cases.end(), [](auto& c) { return c.id == "t02-3+a1"; });
  ASSERT_NE(it, cases.end());
  Scenario s = atlas_scenario(*it, o);
  EXPECT_EQ(s.name, "atlas-t02-3+a1");
  ASSERT_EQ(s.faults.size(), 3u);
  EXPECT_EQ(s.faults[0].at_us, o.warmup_us);
  EXPECT_EQ(s.faults[0].name, "lag");
  EXPECT_EQ(s.faults[0].label, "cut leader <-> follower[0]");
  EXPECT_EQ(s.faults[1].action, Fault::Action::heal);
  EXPECT_EQ(s.faults[1].at_us, o.warmup_us + o.lag_us);
  EXPECT_EQ(s.faults[1].targets, std::vector<std::string>{"lag"});
  EXPECT_EQ(s.faults[2].name, "topology");
  EXPECT_EQ(s.faults[2].at_us, o.warmup_us + o.lag_us);
  EXPECT_EQ(s.faults[2].label, "cut follower[0] <-> follower[1]");
  EXPECT_EQ(s.duration_us, o.warmup_us + o.lag_us + o.topology_us);
  EXPECT_EQ(s.workload.rate, o.rate);
  // t02-1+a2: the lagging node is the one the topology cuts from the leader: no heal.
  it = std::find_if(cases.begin(), cases.end(), [](auto& c) { return c.id == "t02-1+a2"; });
  ASSERT_NE(it, cases.end());
  s = atlas_scenario(*it, o);
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[1].label, "cut leader <-> follower[0]");
}

// The text `faultline explore --lab` hands the lab is a scenario file like any other: it
// reads back with the case's cuts as role pairs, and the options' times and rate.
TEST(AtlasScenario, TheCaseFileNamesEveryCutLinkByRole) {
  ExploreOptions o;
  o.topology_us = 12'000'000;
  o.rate = 250;
  const auto cases = enumerate_topologies(5);
  auto it = std::find_if(cases.begin(), cases.end(),
                         [](auto& c) { return c.cut_edges.size() == 3 && c.lagging >= 0; });
  ASSERT_NE(it, cases.end());
  const std::string text = atlas_text(*it, o);
  const Scenario s = parse_scenario_text(text, "case.toml");
  EXPECT_EQ(s.nodes, 5);
  EXPECT_EQ(s.duration_us, o.warmup_us + o.lag_us + 12'000'000);
  EXPECT_EQ(s.workload.rate, 250);
  const Fault& topology = s.faults.back();
  ASSERT_EQ(topology.shapes.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    const auto [a, b] = it->cut_edges[k];
    auto role = [&](int v) {
      return v == it->leader ? std::string("leader")
                             : "follower[" + std::to_string(v < it->leader ? v : v - 1) + "]";
    };
    EXPECT_EQ(topology.shapes[k].nodes[0].text, role(a)) << text;
    EXPECT_EQ(topology.shapes[k].nodes[1].text, role(b)) << text;
  }
  EXPECT_NE(s.description.find("Atlas case " + it->id), std::string::npos) << s.description;
}

// A lab run agrees with the model when it gives the model's verdict, is in its range when
// some seeds of the model gave its verdict, and differs otherwise.
TEST(AtlasAgreement, TheModelsVerdictAgreesAnotherSeedsVerdictIsInRangeAnythingElseDiffers) {
  CaseOutcome model;
  model.verdict = "disrupted";
  model.verdicts = {{"disrupted", 7}, {"stable", 3}};
  EXPECT_EQ(atlas_agreement(model, "disrupted"), "agrees");
  EXPECT_EQ(atlas_agreement(model, "stable"), "in range");
  EXPECT_EQ(atlas_agreement(model, "deadlock"), "DIFFERS");
  model.verdicts["livelock"] = 0;
  EXPECT_EQ(atlas_agreement(model, "livelock"), "DIFFERS");
}

// The lab's runs of a case are reduced as the model's seeds are: the most frequent verdict,
// the worse one on a tie, means of downtime and elections, the first violation kept.
TEST(AtlasSummary, TheMostFrequentVerdictWinsTiesGoToTheWorseAndMeansAreTaken) {
  std::vector<CaseRun> runs = {{"stable", 0, 0, false, ""},
                               {"deadlock", 3000, 0, false, ""},
                               {"stable", 0, 0, false, ""},
                               {"deadlock", 3000, 2, true, "node 2 exited on its own"}};
  CaseOutcome o = summarize_case(runs);
  EXPECT_EQ(o.verdict, "deadlock");  // 2 against 2: the worse
  EXPECT_FALSE(o.live());
  EXPECT_DOUBLE_EQ(o.downtime_ms, 1500);
  EXPECT_DOUBLE_EQ(o.elections, 0.5);
  EXPECT_EQ(o.unresolved, 1);
  EXPECT_EQ(o.violations, 1);
  EXPECT_EQ(o.violation, "node 2 exited on its own");
  runs.push_back({"stable", 0, 0, false, ""});
  EXPECT_EQ(summarize_case(runs).verdict, "stable");
  EXPECT_EQ(summarize_case({}).verdicts.size(), 0u);
}

// A sample for the lab takes from every kind of outcome the model found before it takes
// a second of any kind, is the same every time, and keeps the atlas's order.
TEST(AtlasSample, SpreadsOverTheModelsVerdictsTheSameEveryTimeInAtlasOrder) {
  ExploreResult r;
  r.options.profiles = {"a", "b"};
  const auto cases = enumerate_topologies(4);  // 60 cases
  for (std::size_t k = 0; k < cases.size(); ++k) {
    AtlasCase ac{cases[k], {}};
    // 50 stable/stable, 8 disrupted/stable, 2 deadlock/deadlock
    const std::string a = k < 50 ? "stable" : k < 58 ? "disrupted" : "deadlock";
    ac.outcomes["a"].verdict = a;
    ac.outcomes["b"].verdict = a == "disrupted" ? "stable" : a;
    r.cases.push_back(ac);
  }
  auto kinds = [&](const std::vector<TopologyCase>& sample) {
    std::map<std::string, int> n;
    for (const auto& c : sample)
      for (const auto& ac : r.cases)
        if (ac.topology.id == c.id) ++n[ac.outcomes.at("a").verdict];
    return n;
  };
  const auto three = sample_cases(r, 3);
  EXPECT_EQ(kinds(three),
            (std::map<std::string, int>{{"deadlock", 1}, {"disrupted", 1}, {"stable", 1}}));
  const auto eight = sample_cases(r, 8);
  ASSERT_EQ(eight.size(), 8u);
  EXPECT_EQ(kinds(eight),
            (std::map<std::string, int>{{"deadlock", 2}, {"disrupted", 3}, {"stable", 3}}));
  EXPECT_EQ(eight.size(), sample_cases(r, 8).size());
  for (std::size_t i = 0; i < eight.size(); ++i) EXPECT_EQ(eight[i].id, sample_cases(r, 8)[i].id);
  for (std::size_t i = 1; i < eight.size(); ++i)
    EXPECT_LT(
        std::find_if(cases.begin(), cases.end(), [&](auto& c) { return c.id == eight[i - 1].id; }),
        std::find_if(cases.begin(), cases.end(), [&](auto& c) { return c.id == eight[i].id; }));
  // Not the first cases of each kind: picked at random within it.
  std::set<std::string> stable_ids;
  for (const auto& c : eight)
    if (std::find_if(cases.begin(), cases.begin() + 50, [&](auto& x) { return x.id == c.id; }) !=
        cases.begin() + 50)
      stable_ids.insert(c.id);
  EXPECT_NE(stable_ids, (std::set<std::string>{cases[0].id, cases[1].id, cases[2].id}));
  EXPECT_EQ(sample_cases(r, 500).size(), cases.size());
}

const AtlasCase& find_case(const ExploreResult& r, const std::string& id) {
  for (const auto& c : r.cases)
    if (c.topology.id == id) return c;
  throw std::runtime_error("no case " + id);
}

TEST(Explore, TheCloudflareShapeDisruptsRaftButNotEtcd35AndTheFileLoadsInTheReport) {
  ExploreOptions o;
  o.nodes = 3;
  o.profiles = {"raft", "etcd-3.5"};
  o.seeds = 2;
  o.topology_us = 8'000'000;
  const ExploreResult r = explore(o);
  ASSERT_EQ(r.cases.size(), 14u);
  EXPECT_EQ(r.violations, 0);

  // The cloudflare shape: the leader cut from one follower, both reach the third. Textbook
  // Raft elects again and again; etcd 3.5 (PreVote + CheckQuorum) does not notice.
  const AtlasCase& cloudflare = find_case(r, "t02-1");
  const CaseOutcome& raft = cloudflare.outcomes.at("raft");
  EXPECT_TRUE(raft.verdict == "livelock" || raft.verdict == "disrupted") << raft.verdict;
  EXPECT_GE(raft.elections, 1.0);
  const CaseOutcome& etcd = cloudflare.outcomes.at("etcd-3.5");
  EXPECT_EQ(etcd.verdict, "stable");
  EXPECT_EQ(etcd.elections, 0.0);
  EXPECT_EQ(etcd.unresolved, 0);
  // With every link cut nobody can write: a deadlock for every profile, and no node is
  // quorum-connected, so the case does not count towards coverage.
  for (const auto& [profile, outcome] : find_case(r, "t04-1").outcomes)
    EXPECT_EQ(outcome.verdict, "deadlock") << profile;
  EXPECT_EQ(r.quorum_connected_cases, 12);
  // Nothing cut: stable everywhere.
  EXPECT_EQ(find_case(r, "t01-1").outcomes.at("raft").verdict, "stable");

  const auto dir = std::filesystem::temp_directory_path() /
                   ("faultline-atlas-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "atlas.json") << atlas_json(r);
  const report::Atlas loaded = report::load_atlas(dir);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(loaded.nodes, 3);
  EXPECT_EQ(loaded.seeds, 2);
  EXPECT_EQ(loaded.profiles, o.profiles);
  ASSERT_EQ(loaded.topologies.size(), 14u);
  const auto& t = loaded.topologies[2];
  EXPECT_EQ(t.id, "t02-1");
  EXPECT_EQ(t.cut_links, (std::vector<std::pair<int, int>>{{1, 2}, {2, 1}}));
  EXPECT_EQ(t.leader, 1);
  EXPECT_EQ(t.lagging, 0);
  EXPECT_EQ(t.results.at("etcd-3.5").verdict, "stable");
  EXPECT_EQ(loaded.coverage.at("etcd-3.5"), r.coverage.at("etcd-3.5"));
  EXPECT_EQ(loaded.topologies[13].lagging, 2);
}

// Stopping settled runs early and writing out their settled state must not change the
// atlas: for every case, profile and seed count, the same verdicts and elections as runs
// simulated to the end, and the same downtime within a tenth of a second.
TEST(Explore, SettledRunsStoppedEarlyGiveTheSameAtlasAsRunsToTheEnd) {
  ExploreOptions full;
  full.nodes = 3;
  full.seeds = 3;
  full.topology_us = 15'000'000;
  full.settle_us = 0;
  ExploreOptions early = full;
  early.settle_us = 3'000'000;
  const ExploreResult a = explore(full), b = explore(early);
  EXPECT_EQ(a.settled_runs, 0u);
  EXPECT_EQ(b.runs, a.runs);
  EXPECT_GT(b.settled_runs, b.runs / 2) << "most runs settle: nothing else is happening";
  ASSERT_EQ(a.cases.size(), b.cases.size());
  for (std::size_t k = 0; k < a.cases.size(); ++k) {
    for (const auto& [profile, full_outcome] : a.cases[k].outcomes) {
      const CaseOutcome& e = b.cases[k].outcomes.at(profile);
      const std::string where = a.cases[k].topology.id + " " + profile;
      EXPECT_EQ(e.verdicts, full_outcome.verdicts) << where;
      EXPECT_EQ(e.verdict, full_outcome.verdict) << where;
      EXPECT_DOUBLE_EQ(e.elections, full_outcome.elections) << where;
      EXPECT_NEAR(e.downtime_ms, full_outcome.downtime_ms, 100.0) << where;
    }
  }
  EXPECT_EQ(a.coverage, b.coverage);
}

// Short of memory, explore keeps the warm-ups of fewer seeds at once and runs the seeds
// in batches: the atlas is the same to the byte. With no room for even one seed's
// warm-ups it refuses before running anything.
TEST(Explore, ShortOfMemoryItRunsTheSeedsInBatchesAndGivesTheSameAtlas) {
  ExploreOptions o;
  o.nodes = 3;
  o.profiles = {"raft", "etcd-3.5"};
  o.seeds = 3;
  o.topology_us = 5'000'000;
  o.threads = 2;
  const std::vector<Micros> fork_times = {o.warmup_us, o.warmup_us + o.lag_us};
  Scenario run;  // what each run holds, start to end
  run.nodes = o.nodes;
  run.duration_us = o.warmup_us + o.lag_us + o.topology_us;
  run.workload.rate = o.rate;
  const double running = 2.0 * static_cast<double>(estimated_run_bytes(run));
  double per_seed = 0;
  for (Micros t : fork_times) per_seed += 2.0 * static_cast<double>(estimated_state_bytes(run, t));
  // Memory whose usable 80% holds the two runs and the warm-ups of `seeds` seeds.
  auto memory_for = [&](double seeds) {
    return static_cast<std::uint64_t>((running + seeds * per_seed) / 0.8);
  };
  EXPECT_EQ(seeds_at_once(o, fork_times), 3u) << "this machine holds every seed at once";

  ExploreOptions short_of_memory = o;
  short_of_memory.memory_bytes = memory_for(2.5);
  ASSERT_EQ(seeds_at_once(short_of_memory, fork_times), 2u);
  EXPECT_EQ(atlas_json(explore(short_of_memory)), atlas_json(explore(o)))
      << "seeds 1-2, then seed 3, give what all three at once give";

  short_of_memory.memory_bytes = memory_for(0.5);
  EXPECT_THROW(seeds_at_once(short_of_memory, fork_times), std::invalid_argument);
  int runs = 0;
  short_of_memory.on_run_done = [&runs] { ++runs; };
  try {
    explore(short_of_memory);
    ADD_FAILURE() << "explore ran with no room for one seed's warm-ups";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("the warm-ups of one seed (2 profiles, each kept at 2 "
                                         "points)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(runs, 0);
}

TEST(Explore, BadOptionsRunNothing) {
  ExploreOptions o;
  o.nodes = 7;
  EXPECT_THROW(explore(o), std::invalid_argument);
  o.nodes = 3;
  o.profiles = {"no-such-profile"};
  EXPECT_THROW(explore(o), std::invalid_argument);
  o.profiles = {};
  o.seeds = 0;
  EXPECT_THROW(explore(o), std::invalid_argument);
  o.seeds = 1;
  o.settle_us = -1;
  EXPECT_THROW(explore(o), std::invalid_argument);
}

}  // namespace
}  // namespace faultline::sim
