// Random fault timelines (nemesis.h). The generator writes scenario text, fault by fault,
// keeping just enough state to write only what the parser accepts and what a run can
// undo: the link faults still in force (healed by name, or all at once), the crashes and
// pauses not yet undone (restarted or resumed by name), and when each repeating fault
// ends. Everything is undone `quiet_end` before the end of the run.
#include "sim/nemesis.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "sim/rng.h"

namespace faultline::sim {
namespace {

class Generator {
 public:
  Generator(const NemesisOptions& o, std::uint64_t seed) : o_(o), seed_(seed), rng_(seed) {}

  std::string text() {
    header();
    const Micros end = o_.duration_us - o_.quiet_end_us;
    // Gaps are whole milliseconds, uniform in 1 ms .. 2 x the mean.
    const auto gap_ms = static_cast<std::uint64_t>(std::max<Micros>(2 * o_.mean_gap_us / 1'000, 1));
    for (Micros t = o_.first_fault_us; t < end;
         t += 1'000 * static_cast<Micros>(1 + rng_.below(gap_ms)))
      one_fault(t, end);
    // Undo everything: the run ends on a whole cluster, which must recover.
    if (any_link_) emit(end, "heal = \"all\"");
    if (any_crash_) emit(end, "restart = \"all\"");
    if (any_pause_) emit(end, "resume = \"all\"");
    return out_;
  }

 private:
  struct Open {
    std::string name;
    Micros until = -1;  // a repeating fault undoes itself; -1: until undone by name
  };

  void header() {
    out_ += "# Written by `faultline nemesis`, seed " + std::to_string(seed_) +
            ": random faults of every kind, overlapping, from " +
            format_duration(o_.first_fault_us) + ";\n# everything undone at " +
            format_duration(o_.duration_us - o_.quiet_end_us) +
            ". Expected: no invariant violation, a linearizable history,\n"
            "# and a cluster that recovers: serving again, every node caught up.\n";
    out_ += "name = " + toml_string("nemesis-" + std::to_string(seed_)) + "\n";
    out_ += "description = \"Random faults (seed " + std::to_string(seed_) +
            "). Expected: safe, linearizable, recovered at the end.\"\n";
    out_ += "nodes = " + std::to_string(o_.nodes) + "\n";
    out_ += "duration = " + toml_string(format_duration(o_.duration_us)) + "\n\n";
    out_ += "[workload]\nrate = " + toml_number(o_.rate) + "\nkeys = " + std::to_string(o_.keys) +
            "\nread_share = " + toml_number(o_.read_share) + "\n\n";
    // The model's network and disk vary too (the lab's are the real ones): a network that
    // sometimes duplicates and reorders messages, and disks from fast to slow.
    static constexpr const char* kSync[] = {"0.1ms", "1ms", "5ms"};
    out_ += "[network]  # the simulator's; a lab run uses the real network\n";
    if (rng_.chance(0.5)) {
      const double dup = 0.01 * static_cast<double>(1 + rng_.below(5));
      const double reorder = 0.01 * static_cast<double>(1 + rng_.below(5));
      out_ += "duplicate = " + toml_number(dup) + "\nreorder = " + toml_number(reorder) + "\n";
    }
    out_ += "jitter = " + toml_string(rng_.chance(0.5) ? "0.05ms" : "1ms") + "\n\n";
    out_ += "[disk]\nsync_latency = " + toml_string(kSync[rng_.below(3)]) + "\n";
    if (o_.snapshots && rng_.chance(0.5)) {
      static constexpr int kCount[] = {20, 50, 100, 300, 1000};
      static constexpr int kCatchUp[] = {0, 5, 20, 100};
      out_ += "\n[snapshot]\ncount = " + std::to_string(kCount[rng_.below(5)]) + "\n";
      if (o_.catch_up)
        out_ += "catch_up_entries = " + std::to_string(kCatchUp[rng_.below(4)]) + "\n";
    }
  }

  void emit(Micros at, const std::string& body, const std::string& name = "") {
    out_ += "\n[[fault]]\nat = " + toml_string(format_duration(at)) + "\n";
    if (!name.empty()) out_ += "name = " + toml_string(name) + "\n";
    out_ += body + "\n";
  }

  // A node name of any form: the leader, a follower by rank, a node by id.
  std::string node() {
    const int n = o_.nodes;
    switch (rng_.below(3)) {
      case 0:
        return "leader";
      case 1:
        return "follower[" + std::to_string(rng_.below(static_cast<std::uint64_t>(n - 1))) + "]";
      default:
        return "node[" + std::to_string(1 + rng_.below(static_cast<std::uint64_t>(n))) + "]";
    }
  }

  std::string pair() {
    std::string a = node(), b = node();
    while (b == a) b = node();
    return "[" + toml_string(a) + ", " + toml_string(b) + "]";
  }

  // Two or more groups of node ids (ids, not roles: a role may name the same node as an id,
  // and a node must be in one group only).
  std::string partition() {
    std::vector<int> ids;
    for (int k = 1; k <= o_.nodes; ++k) ids.push_back(k);
    for (std::size_t i = ids.size() - 1; i > 0; --i) std::swap(ids[i], ids[rng_.below(i + 1)]);
    const int groups = o_.nodes >= 4 && rng_.chance(0.3) ? 3 : 2;
    std::vector<std::size_t> cuts;  // group boundaries in the shuffled ids
    while (static_cast<int>(cuts.size()) < groups - 1) {
      std::size_t c = 1 + rng_.below(ids.size() - 1);
      if (std::find(cuts.begin(), cuts.end(), c) == cuts.end()) cuts.push_back(c);
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.push_back(ids.size());
    std::string s = "[";
    std::size_t from = 0;
    for (std::size_t c : cuts) {
      s += s.size() > 1 ? ", [" : "[";
      for (std::size_t i = from; i < c; ++i)
        s += (i > from ? ", " : "") + toml_string("node[" + std::to_string(ids[i]) + "]");
      s += "]";
      from = c;
    }
    return s + "]";
  }

  // The links of a link fault: a shorthand and its value.
  std::string links() {
    const bool three = o_.nodes >= 3;
    switch (rng_.below(three ? 5 : 3)) {
      case 0:
        return "cut = " + pair();
      case 1:
        return "one_way = " + pair();
      case 2:
        return "isolate = " + toml_string(node());
      case 3:
        return "bridge = " + toml_string(node());
      default:
        return "partition = " + partition();
    }
  }

  std::string repeat(Micros at, Micros end) {
    const Micros every = 1'000 * static_cast<Micros>(500 + rng_.below(2'500));
    const Micros duration =
        std::max<Micros>(1'000, every * static_cast<Micros>(1 + rng_.below(9)) / 10);
    int count = 2 + static_cast<int>(rng_.below(3));
    while (count > 1 && at + every * (count - 1) + duration >= end) --count;
    if (count < 2) return "";
    until_ = at + every * (count - 1) + duration;
    return "\nrepeat = { every = " + toml_string(format_duration(every)) +
           ", count = " + std::to_string(count) +
           ", duration = " + toml_string(format_duration(duration)) + " }";
  }

  int down_now() const { return static_cast<int>(crashes_.size() + pauses_.size()); }

  static void forget_done(std::vector<Open>& open, Micros at) {
    std::erase_if(open, [&](const Open& x) { return x.until >= 0 && x.until <= at; });
  }

  void one_fault(Micros at, Micros end) {
    for (auto* open : {&links_, &crashes_, &pauses_}) forget_done(*open, at);
    auto name = [&] { return "f" + std::to_string(++count_); };  // only faults undone by name
    // Process faults beyond a minority down at once are rarer: they stop the cluster, which
    // link faults do often enough.
    const int minority = (o_.nodes - 1) / 2;
    const double process_weight =
        !o_.processes || o_.nodes < 2 ? 0 : (down_now() < minority ? 2.0 : 0.3);
    const std::vector<double> weights = {
        5.0,                             // 0 cut links
        2.0,                             // 1 lossy links
        o_.delays ? 1.5 : 0.0,           // 2 slow links
        links_.empty() ? 0.0 : 3.0,      // 3 heal links by name
        links_.empty() ? 0.0 : 1.0,      // 4 heal every link
        process_weight,                  // 5 crash
        process_weight * 0.7,            // 6 pause
        closable(crashes_) ? 3.0 : 0.0,  // 7 restart by name
        closable(pauses_) ? 3.0 : 0.0,   // 8 resume by name
    };
    double total = 0;
    for (double w : weights) total += w;
    double pick = rng_.unit() * total;
    std::size_t kind = 0;
    while (kind + 1 < weights.size() && (pick -= weights[kind]) >= 0) ++kind;
    until_ = -1;
    switch (kind) {
      case 0:
      case 1:
      case 2: {
        std::string body = links();
        if (kind == 1) body += "\nloss = " + toml_number(rng_.chance(0.5) ? 0.3 : 0.7);
        if (kind == 2)
          body += "\ndelay = " +
                  toml_string(format_duration(1'000 * static_cast<Micros>(10 + rng_.below(290))));
        if (rng_.chance(0.2)) body += repeat(at, end);
        const std::string named = name();
        emit(at, body, named);
        links_.push_back({named, until_});
        any_link_ = true;
        break;
      }
      case 3: {
        const std::size_t i = rng_.below(links_.size());
        emit(at, "heal = " + toml_string(links_[i].name));
        links_.erase(links_.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      case 4:
        emit(at, "heal = \"all\"");
        links_.clear();
        break;
      case 5:
      case 6: {
        const bool crash = kind == 5;
        std::string body = (crash ? "crash = " : "pause = ") + toml_string(node());
        if (rng_.chance(0.2)) body += repeat(at, end);
        const std::string named = name();
        emit(at, body, named);
        (crash ? crashes_ : pauses_).push_back({named, until_});
        (crash ? any_crash_ : any_pause_) = true;
        break;
      }
      case 7:
      case 8: {
        auto& open = kind == 7 ? crashes_ : pauses_;
        std::vector<std::size_t> can;
        for (std::size_t i = 0; i < open.size(); ++i)
          if (open[i].until < 0) can.push_back(i);
        const std::size_t i = can[rng_.below(can.size())];
        emit(at, (kind == 7 ? "restart = " : "resume = ") + toml_string(open[i].name));
        open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      default:
        break;
    }
  }

  // Whether any fault in `open` waits to be undone by name (a repeating one undoes itself).
  static bool closable(const std::vector<Open>& open) {
    return std::any_of(open.begin(), open.end(), [](const Open& x) { return x.until < 0; });
  }

  const NemesisOptions& o_;
  std::uint64_t seed_;
  Rng rng_;
  std::string out_;
  int count_ = 0;
  Micros until_ = -1;                           // when the fault being written ends, if it repeats
  std::vector<Open> links_, crashes_, pauses_;  // faults in force
  bool any_link_ = false, any_crash_ = false, any_pause_ = false;
};

}  // namespace

std::string nemesis_problem(const NemesisOptions& o) {
  if (o.nodes < 2 || o.nodes > 15) return "the nemesis needs 2 to 15 nodes";
  if (o.duration_us > 24 * 3'600'000'000LL) return "a run longer than 24 h";
  if (o.first_fault_us < 0 || o.quiet_end_us < 0 || o.mean_gap_us < 1'000)
    return "negative times, or faults less than 1 ms apart on average";
  if (o.first_fault_us >= o.duration_us - o.quiet_end_us)
    return "no time for faults: the run (" + format_duration(o.duration_us) +
           ") must be longer than the faults' start (" + format_duration(o.first_fault_us) +
           ") and the quiet end (" + format_duration(o.quiet_end_us) + ") together";
  if (o.rate < 0 || o.read_share < 0 || o.read_share > 1 || o.keys < 1)
    return "a bad workload (rate >= 0, read share 0..1, at least one key)";
  return "";
}

std::string nemesis_text(const NemesisOptions& options, std::uint64_t seed) {
  return Generator(options, seed).text();
}

std::vector<std::string> nemesis_problems(const record::RunRecord& r, const analysis::Summary& s) {
  std::vector<std::string> out;
  if (r.meta.invariant_violations > 0) out.push_back("safety: " + r.meta.violation);
  if (s.linearizable.has_value() && !*s.linearizable)
    out.push_back("not linearizable: " + s.linearizability_detail);
  // A run the simulator stopped at a violation ends early: that is the problem to report.
  if (r.meta.invariant_violations > 0) return out;
  const Micros from = r.meta.duration_us - kServeAgainWindow;
  bool has_client = false, served = false;
  for (const auto& op : r.ops) {
    if (op.kind != record::OpKind::write) continue;
    has_client = true;
    served |= op.outcome == record::Outcome::ok && op.completed_us >= from;
  }
  if (has_client && !served)
    out.push_back("stuck: no write completed in the last " + format_duration(kServeAgainWindow) +
                  " of the run, although every fault was undone before");
  // Every node caught up: what any node had committed by `from` is applied everywhere by
  // each node's last sample within the run (a node left behind for good is a liveness
  // defect too). The lab goes on sampling after the end while it finishes (waiting for
  // requests, comparing stores): those later samples do not count.
  std::uint64_t committed = 0;
  std::map<record::NodeId, const record::NodeSample*> last;
  for (const auto& sample : r.samples) {
    if (sample.time_us > r.meta.duration_us) break;  // samples are in time order
    if (sample.time_us <= from) committed = std::max(committed, sample.commit);
    last[sample.node] = &sample;
  }
  for (const auto& [node, sample] : last) {
    if (sample->role == record::Role::down)
      out.push_back("node " + std::to_string(node) + " is down at the end");
    else if (sample->applied < committed)
      out.push_back("behind: node " + std::to_string(node) + " applied up to index " +
                    std::to_string(sample->applied) + " by the end, but index " +
                    std::to_string(committed) + " was committed " +
                    format_duration(kServeAgainWindow) + " before");
  }
  return out;
}

Scenario nemesis_scenario(const NemesisOptions& options, std::uint64_t seed) {
  return parse_scenario_text(nemesis_text(options, seed),
                             "nemesis-" + std::to_string(seed) + ".toml");
}

}  // namespace faultline::sim
