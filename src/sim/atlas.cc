// Running the atlas: one scenario per case, every (case, profile, seed) run in parallel,
// each forked from the warm-up its (profile, seed) shares with the other cases (SimFork),
// analysed and reduced to a few numbers at once (records are not kept: a 5-node atlas is
// tens of thousands of runs).
#include "sim/atlas.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <stdexcept>

#include "analysis/analysis.h"
#include "raft/profiles.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace faultline::sim {
namespace {

// The role a vertex has when the case's cuts fire: the leader vertex is whoever leads, the
// other vertices, in vertex order, are the followers in id order.
std::string role_of(const TopologyCase& c, int vertex) {
  if (vertex == c.leader) return "leader";
  return "follower[" + std::to_string(vertex < c.leader ? vertex : vertex - 1) + "]";
}

// What every run holds: the whole cluster's load, start to end.
Scenario whole_run(const ExploreOptions& o) {
  Scenario run;
  run.name = "explore";
  run.nodes = o.nodes;
  run.duration_us = o.warmup_us + o.lag_us + o.topology_us;
  run.workload.rate = o.rate;
  return run;
}

std::uint64_t available_memory(const ExploreOptions& o) {
  return o.memory_bytes ? o.memory_bytes : physical_memory_bytes();
}

}  // namespace

void validate_explore(const ExploreOptions& o) {
  if (o.nodes < kTopologyMinNodes || o.nodes > kTopologyMaxNodes)
    throw std::invalid_argument("explore: --nodes must be between " +
                                std::to_string(kTopologyMinNodes) + " and " +
                                std::to_string(kTopologyMaxNodes));
  if (o.seeds < 1 || o.seeds > 10'000)
    throw std::invalid_argument("explore: --seeds must be between 1 and 10000");
  if (o.warmup_us < 1'000'000 || o.lag_us <= 0 || o.topology_us <= 0 ||
      o.topology_us > 3600ll * 1'000'000)
    throw std::invalid_argument(
        "explore: the warm-up must be at least 1 s, the lag and the topology's duration "
        "positive (at most 1 h)");
  if (o.settle_us < 0) throw std::invalid_argument("explore: --settle must not be negative");
  if (!(o.rate > 0) || o.rate > 100'000)
    throw std::invalid_argument("explore: --rate must be above 0 and at most 100000");
  for (const auto& p : o.profiles)
    if (!raft::find_profile(p))
      throw std::invalid_argument("explore: unknown profile `" + p +
                                  "` (known: " + raft::profile_names() + ")");
  if (std::string problem = memory_problem(whole_run(o), available_memory(o)); !problem.empty())
    throw std::invalid_argument("explore: " + problem);
}

std::uint64_t seeds_at_once(const ExploreOptions& o, const std::vector<Micros>& fork_times) {
  const Scenario run = whole_run(o);
  const std::uint64_t available = available_memory(o);
  const double usable = static_cast<double>(usable_memory_bytes(available));
  const double running = static_cast<double>(runs_at_once(run, o.threads, available)) *
                         static_cast<double>(estimated_run_bytes(run));
  const double profiles =
      static_cast<double>(o.profiles.empty() ? raft::profiles().size() : o.profiles.size());
  double per_seed = 0;  // every profile's warm-up, copied at each fork time
  for (Micros t : fork_times)
    per_seed += profiles * static_cast<double>(estimated_state_bytes(run, t));
  if (usable - running < per_seed) {
    constexpr double kGiB = 1024.0 * 1024 * 1024;
    char text[400];
    std::snprintf(text, sizeof text,
                  "explore: the warm-ups of one seed (%.0f profiles, each kept at %zu points) "
                  "would hold about %.1f GiB beside %.1f GiB for the runs going on from them, "
                  "more than the %.1f GiB usable of this machine's %.1f GiB; lower --rate or "
                  "--duration, or name fewer profiles",
                  profiles, fork_times.size(), per_seed / kGiB, running / kGiB, usable / kGiB,
                  static_cast<double>(available) / kGiB);
    throw std::invalid_argument(text);
  }
  const double fit = std::floor((usable - running) / per_seed);
  return fit >= static_cast<double>(o.seeds) ? o.seeds : static_cast<std::uint64_t>(fit);
}

CaseOutcome summarize_case(std::span<const CaseRun> runs) {
  CaseOutcome out;
  for (const CaseRun& r : runs) {
    ++out.verdicts[r.verdict];
    out.downtime_ms += r.downtime_ms;
    out.elections += r.elections;
    out.unresolved += r.unresolved;
    if (!r.violation.empty() && out.violations++ == 0) out.violation = r.violation;
  }
  if (runs.empty()) return out;
  out.downtime_ms /= static_cast<double>(runs.size());
  out.elections /= static_cast<double>(runs.size());
  out.verdict = analysis::majority_verdict(out.verdicts);
  return out;
}

std::string atlas_text(const TopologyCase& c, const ExploreOptions& o) {
  auto pair = [&](int a, int b) {
    return "[" + toml_string(role_of(c, a)) + ", " + toml_string(role_of(c, b)) + "]";
  };
  const Micros cut_at = o.warmup_us + o.lag_us;
  std::string cuts;   // the topology's `cut = [...]` pairs
  std::string links;  // the same for the description: "leader<->follower[0], ..."
  for (const auto& [a, b] : c.cut_edges) {
    cuts += (cuts.empty() ? "" : ", ") + pair(a, b);
    links += (links.empty() ? "" : ", ") + role_of(c, a) + "<->" + role_of(c, b);
  }

  std::string t = "# Atlas case " + c.id + " (faultline explore --nodes " +
                  std::to_string(c.nodes) + "): a healthy cluster for " +
                  format_duration(o.warmup_us) + ", ";
  if (c.lagging >= 0)
    t += "\n# then " + role_of(c, c.lagging) + " cut from the leader for " +
         format_duration(o.lag_us) + " so that it lags, ";
  t += "\n# then the case's links cut both ways to the end of the run.\n";
  t += "name = " + toml_string("atlas-" + c.id) + "\n";
  t += "description = " +
       toml_string("Atlas case " + c.id + ": " + (links.empty() ? "nothing" : links) +
                   " cut both ways to the end" +
                   (c.lagging >= 0 ? ", after " + role_of(c, c.lagging) + " lagged" : "") + ".") +
       "\n";
  t += "nodes = " + std::to_string(c.nodes) + "\n";
  t += "duration = " + toml_string(format_duration(cut_at + o.topology_us)) + "\n\n";
  if (o.loss_model == LinkParams::LossModel::datagram)
    t += "[network]\nloss_model = \"datagram\"  # cuts drop messages and heal at once\n\n";
  t += "[workload]\nrate = " + toml_number(o.rate) + "\n";
  if (c.lagging >= 0) {
    t += "\n[[fault]]\nat = " + toml_string(format_duration(o.warmup_us)) +
         "\nname = \"lag\"\ncut = " + pair(c.leader, c.lagging) + "\n";
    const std::pair<int, int> lag_edge{std::min(c.leader, c.lagging),
                                       std::max(c.leader, c.lagging)};
    // The topology keeps that link: give it back as the topology is applied.
    if (std::find(c.cut_edges.begin(), c.cut_edges.end(), lag_edge) == c.cut_edges.end())
      t += "\n[[fault]]\nat = " + toml_string(format_duration(cut_at)) + "\nheal = \"lag\"\n";
  }
  if (!c.cut_edges.empty())
    t += "\n[[fault]]\nat = " + toml_string(format_duration(cut_at)) +
         "\nname = \"topology\"\ncut = [" + cuts + "]\n";
  return t;
}

Scenario atlas_scenario(const TopologyCase& c, const ExploreOptions& o) {
  return parse_scenario_text(atlas_text(c, o), "atlas-" + c.id + ".toml");
}

void extend_settled(SimResult& run, const Scenario& scenario) {
  if (run.settled == Settled::no) return;
  record::RunRecord& r = run.record;
  const Micros at = run.settled_at_us, end = scenario.duration_us;

  std::map<record::NodeId, record::NodeSample> last;
  for (const auto& x : r.samples) last[x.node] = x;
  for (Micros t = at + kSampleInterval; t <= end; t += kSampleInterval) {
    for (const auto& entry : last) {
      record::NodeSample x = entry.second;
      x.time_us = t;
      r.samples.push_back(x);
    }
  }

  // Which endpoints answer in the settled state: those that answered a write in its last
  // second (a node cut from the leader answers none), and how fast.
  std::vector<Micros> latencies;
  std::set<record::NodeId> serving;
  for (const auto& o : r.ops) {
    if (o.outcome == record::Outcome::ok && o.kind == record::OpKind::write &&
        o.completed_us >= at - 1'000'000) {
      latencies.push_back(o.completed_us - o.intended_us);
      serving.insert(o.node);
    }
  }
  if (run.settled == Settled::stuck) serving.clear();
  std::sort(latencies.begin(), latencies.end());
  const Micros latency = latencies.empty() ? 1'000 : latencies[latencies.size() / 2];
  auto settle = [&](record::Operation& o) {
    if (!serving.count(o.node)) return;
    o.outcome = record::Outcome::ok;
    o.error.clear();
    o.completed_us = std::max(o.intended_us + latency, at);
  };
  // Requests still in flight when the run stopped get the settled state's answer.
  for (auto& o : r.ops) {
    if (o.completed_us < 0 && o.intended_us >= at - 1'000'000) settle(o);
  }
  const double rate = scenario.workload.rate;
  if (rate <= 0) return;
  for (std::uint64_t k = r.ops.size();; ++k) {
    const Micros intended = intended_time(k, rate);
    if (intended > end) break;
    record::Operation o;
    o.id = k;
    o.node = static_cast<record::NodeId>(k % static_cast<std::uint64_t>(scenario.nodes) + 1);
    o.key = "k0";
    o.intended_us = o.sent_us = intended;
    o.error = "timeout";
    settle(o);
    r.ops.push_back(std::move(o));
  }
}

CaseRun judge_case_run(const record::RunRecord& record, const analysis::Summary& summary) {
  CaseRun r;
  r.verdict = std::string(analysis::to_string(summary.verdict));
  r.downtime_ms = summary.during.downtime_ms + summary.after.downtime_ms;
  r.elections = summary.during.elections + summary.after.elections;
  for (const auto& ev : record.faults)
    r.unresolved |= ev.detail.find("unresolved") != std::string::npos;
  r.violation = record.meta.violation;
  return r;
}

std::string atlas_agreement(const CaseOutcome& model, const std::string& lab_verdict) {
  if (lab_verdict == model.verdict) return "agrees";
  const auto seen = model.verdicts.find(lab_verdict);
  return seen != model.verdicts.end() && seen->second > 0 ? "in range" : "DIFFERS";
}

std::vector<TopologyCase> sample_cases(const ExploreResult& model, std::size_t count) {
  std::map<std::string, std::vector<const TopologyCase*>> groups;
  for (const auto& c : model.cases) {
    std::string key;
    for (const auto& p : model.options.profiles) key += c.outcomes.at(p).verdict + "/";
    groups[key].push_back(&c.topology);
  }
  Rng rng(1);  // a fixed seed: the same sample every time, on any standard library
  for (auto& [key, members] : groups)
    for (std::size_t i = members.size(); i > 1; --i)
      std::swap(members[i - 1], members[rng.below(i)]);
  std::set<std::string> chosen;
  for (std::size_t round = 0; chosen.size() < std::min(count, model.cases.size()); ++round)
    for (auto& [key, members] : groups)
      if (round < members.size() && chosen.size() < count) chosen.insert(members[round]->id);
  std::vector<TopologyCase> out;
  for (const auto& c : model.cases)
    if (chosen.count(c.topology.id)) out.push_back(c.topology);
  return out;
}

ExploreResult explore(const ExploreOptions& options) {
  validate_explore(options);
  ExploreResult result;
  result.options = options;
  auto& profiles = result.options.profiles;
  if (profiles.empty())
    for (const auto& p : raft::profiles()) profiles.emplace_back(p.name);

  const auto cases = enumerate_topologies(options.nodes);
  std::vector<Scenario> scenarios;
  scenarios.reserve(cases.size());
  for (const auto& c : cases) scenarios.push_back(atlas_scenario(c, options));

  // Run index = (case * profiles + profile) * seeds + seed - 1.
  const std::uint64_t seeds = options.seeds;
  const std::size_t per_case = profiles.size() * seeds;
  std::vector<CaseRun> facts(cases.size() * per_case);
  std::vector<std::uint8_t> settled(facts.size());  // stopped early (a byte: written in parallel)
  analysis::Options analysis_options;
  analysis_options.check_linearizability = false;  // writes only: nothing to check

  // Every case of one (profile, seed) runs the same healthy cluster until its first fault
  // (the lag at the end of the warm-up, or the topology's cuts 0.25 s later): simulate
  // that once per (profile, seed) and fork each case from a copy of it (SimFork, which
  // gives exactly the run simulate() gives). One fork per distinct first-fault time.
  std::vector<Micros> fork_times;
  for (const auto& sc : scenarios)
    if (!sc.faults.empty()) fork_times.push_back(sc.faults.front().at_us);
  std::sort(fork_times.begin(), fork_times.end());
  fork_times.erase(std::unique(fork_times.begin(), fork_times.end()), fork_times.end());
  if (fork_times.empty()) fork_times.push_back(0);  // nothing to share; still one fork
  // The warm-ups of a batch of seeds are kept while every run of those seeds goes on from
  // them; one batch holds every seed unless memory is short (seeds_at_once).
  const std::uint64_t batch = seeds_at_once(result.options, fork_times);
  const unsigned threads =
      runs_at_once(whole_run(options), options.threads, available_memory(options));
  for (std::uint64_t first = 1; first <= seeds; first += batch) {
    const std::uint64_t count = std::min(batch, seeds - first + 1);
    std::vector<std::vector<SimFork>> forks(profiles.size() *
                                            count);  // [profile * count + seed - first]
    parallel_for(forks.size(), threads, [&](std::size_t i) {
      auto& chain = forks[i];
      chain.reserve(fork_times.size());
      chain.emplace_back(scenarios.front(), profiles[i / count], first + i % count);
      for (std::size_t k = 0; k < fork_times.size(); ++k) {
        if (k > 0) chain.push_back(chain.back());
        chain.back().run_through(fork_times[k] - 1);
      }
    });
    auto fork_for = [&](std::size_t profile, std::uint64_t seed,
                        const Scenario& sc) -> const SimFork& {
      const auto& chain = forks[profile * count + seed - first];
      if (sc.faults.empty()) return chain.back();
      const auto k =
          std::lower_bound(fork_times.begin(), fork_times.end(), sc.faults.front().at_us);
      return chain[static_cast<std::size_t>(k - fork_times.begin())];
    };

    const std::size_t batch_per_case = profiles.size() * count;
    parallel_for(cases.size() * batch_per_case, threads, [&](std::size_t j) {
      const std::size_t case_index = j / batch_per_case;
      const std::size_t profile_index = (j % batch_per_case) / count;
      const std::string& profile = profiles[profile_index];
      const std::uint64_t seed = first + j % count;
      const Scenario& scenario = scenarios[case_index];
      SimResult run = fork_for(profile_index, seed, scenario)
                          .run(SimRequest{&scenario, profile, seed, {}, options.settle_us});
      extend_settled(run, scenarios[case_index]);
      const analysis::Summary summary = analysis::analyze(run.record, analysis_options);
      const std::size_t index = case_index * per_case + profile_index * seeds + seed - 1;
      facts[index] = judge_case_run(run.record, summary);
      settled[index] = run.settled != Settled::no;
      if (options.on_run_done) options.on_run_done();
    });
  }

  result.runs = facts.size();
  for (std::uint8_t x : settled) result.settled_runs += x;
  std::map<std::string, int> live;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    AtlasCase ac{cases[k], {}};
    const bool qc = !cases[k].quorum_connected.empty();
    result.quorum_connected_cases += qc;
    for (std::size_t p = 0; p < profiles.size(); ++p) {
      CaseOutcome o = summarize_case(std::span(facts).subspan(k * per_case + p * seeds, seeds));
      result.violations += o.violations;
      if (qc && o.live()) ++live[profiles[p]];
      ac.outcomes[profiles[p]] = std::move(o);
    }
    result.cases.push_back(std::move(ac));
  }
  for (const auto& p : profiles)
    result.coverage[p] = result.quorum_connected_cases == 0
                             ? 0.0
                             : static_cast<double>(live[p]) / result.quorum_connected_cases;
  return result;
}

nlohmann::json atlas_document(const ExploreResult& r) {
  using nlohmann::json;
  json doc;
  doc["format"] = "faultline-atlas/1";
  doc["nodes"] = r.options.nodes;
  doc["profiles"] = r.options.profiles;
  doc["seeds"] = r.options.seeds;
  doc["options"] = {{"warmup_ms", r.options.warmup_us / 1000},
                    {"lag_ms", r.options.lag_us / 1000},
                    {"topology_ms", r.options.topology_us / 1000},
                    {"settle_ms", r.options.settle_us / 1000},
                    {"rate", r.options.rate},
                    {"loss_model", loss_model_name(r.options.loss_model)}};
  doc["runs"] = r.runs;
  doc["settled_runs"] = r.settled_runs;
  json topologies = json::array();
  for (const auto& c : r.cases) {
    const TopologyCase& t = c.topology;
    json links = json::array();
    for (const auto& [a, b] : t.cut_edges) {
      links.push_back({a + 1, b + 1});
      links.push_back({b + 1, a + 1});
    }
    json qc = json::array();
    for (int v : t.quorum_connected) qc.push_back(v + 1);
    json results = json::object();
    for (const auto& [profile, o] : c.outcomes) {
      json res = {{"verdict", o.verdict},
                  {"downtime_ms", o.downtime_ms},
                  {"elections", o.elections},
                  {"verdicts", o.verdicts}};
      if (o.unresolved) res["unresolved"] = o.unresolved;
      if (o.violations) {
        res["violations"] = o.violations;
        res["violation"] = o.violation;
      }
      results[profile] = std::move(res);
    }
    topologies.push_back({{"id", t.id},
                          {"graph", t.graph + 1},
                          {"cut_links", std::move(links)},
                          {"leader", t.leader + 1},
                          {"lagging", t.lagging + 1},
                          {"quorum_connected", std::move(qc)},
                          {"results", std::move(results)}});
  }
  doc["topologies"] = std::move(topologies);
  doc["coverage"] = r.coverage;
  doc["quorum_connected_cases"] = r.quorum_connected_cases;
  doc["violations"] = r.violations;
  return doc;
}

std::string atlas_json(const ExploreResult& r, int indent) {
  return atlas_document(r).dump(indent);
}

}  // namespace faultline::sim
