// Reads scenario TOML into a Scenario and validates every field, so that a scenario that
// parses can run. Every error names the file, the line and the problem.
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>

#include "sim/scenario.h"

namespace faultline::sim {
namespace {

constexpr int kMaxNodes = 15;
constexpr int kMaxRepeatCount = 100'000;
constexpr Micros kMaxDuration = 24ll * 3600 * 1'000'000;

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Scenario parse(const toml::table& root) {
    check_keys(root,
               {"name", "description", "nodes", "duration", "timing", "workload", "network", "disk",
                "snapshot", "fault"},
               "the scenario");
    Scenario s;
    s.source = file_;
    s.name = required_string(root, "name", "the scenario");
    if (s.name.empty()) fail(line_of(root, "name"), "`name` must not be empty");
    if (auto* d = root.get("description")) s.description = string_of(*d, "description");
    if (auto* n = root.get("nodes")) {
      s.nodes = static_cast<int>(integer_of(*n, "nodes"));
      if (s.nodes < 1 || s.nodes > kMaxNodes)
        fail(*n, "`nodes` must be between 1 and " + std::to_string(kMaxNodes));
    }
    if (auto* d = root.get("duration")) {
      s.duration_us = duration_of(*d, "duration");
      if (s.duration_us <= 0 || s.duration_us > kMaxDuration)
        fail(*d, "`duration` must be positive and at most 24h");
    }
    if (auto* t = root.get("timing")) parse_timing(table_of(*t, "timing"), s.timing);
    if (auto* w = root.get("workload")) parse_workload(table_of(*w, "workload"), s.workload);
    if (auto* n = root.get("network")) parse_link_params(table_of(*n, "network"), s.network);
    if (auto* d = root.get("disk")) parse_disk(table_of(*d, "disk"), s.disk);
    if (auto* d = root.get("snapshot")) parse_snapshot(table_of(*d, "snapshot"), s.snapshot);
    nodes_ = s.nodes;
    duration_ = s.duration_us;
    if (auto* f = root.get("fault")) {
      auto* faults = f->as_array();
      if (!faults) fail(*f, "`fault` must be an array of tables: write each as [[fault]]");
      for (auto& entry : *faults) {
        auto* t = entry.as_table();
        if (!t) fail(entry, "each `fault` must be a table: write it as [[fault]]");
        s.faults.push_back(parse_fault(*t));
      }
    }
    std::stable_sort(s.faults.begin(), s.faults.end(),
                     [](const Fault& a, const Fault& b) { return a.at_us < b.at_us; });
    return s;
  }

 private:
  // ---- errors ---------------------------------------------------------------------------
  [[noreturn]] void fail(int line, const std::string& problem) const {
    throw ScenarioError(file_, line, problem);
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& problem) const {
    fail(static_cast<int>(n.source().begin.line), problem);
  }
  static int line_of(const toml::table& t, std::string_view key) {
    if (auto* n = t.get(key)) return static_cast<int>(n->source().begin.line);
    return static_cast<int>(t.source().begin.line);
  }

  void check_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                  std::string_view where) const {
    for (auto&& [key, value] : t) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string known;
      for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      int line = static_cast<int>(key.source().begin.line);
      if (line == 0) line = static_cast<int>(value.source().begin.line);
      fail(line, "unknown key `" + std::string(key.str()) + "` in " + std::string(where) +
                     " (known keys: " + known + ")");
    }
  }

  // ---- scalars --------------------------------------------------------------------------
  std::string string_of(const toml::node& n, std::string_view key) const {
    if (auto* v = n.as_string()) return v->get();
    fail(n, "`" + std::string(key) + "` must be a string");
  }
  std::string required_string(const toml::table& t, std::string_view key,
                              std::string_view where) const {
    auto* n = t.get(key);
    if (!n)
      fail(std::max(1, static_cast<int>(t.source().begin.line)),
           "missing `" + std::string(key) + "` in " + std::string(where));
    return string_of(*n, key);
  }
  std::int64_t integer_of(const toml::node& n, std::string_view key) const {
    if (auto* v = n.as_integer()) return v->get();
    fail(n, "`" + std::string(key) + "` must be an integer");
  }
  double number_of(const toml::node& n, std::string_view key) const {
    if (auto* v = n.as_integer()) return static_cast<double>(v->get());
    if (auto* v = n.as_floating_point()) {
      if (!std::isfinite(v->get())) fail(n, "`" + std::string(key) + "` must be finite");
      return v->get();
    }
    fail(n, "`" + std::string(key) + "` must be a number");
  }
  double share_of(const toml::node& n, std::string_view key) const {
    double x = number_of(n, key);
    if (x < 0 || x > 1)
      fail(n, "`" + std::string(key) + "` is a share of packets or requests: 0 to 1, not " +
                  std::to_string(x));
    return x;
  }
  Micros duration_of(const toml::node& n, std::string_view key) const {
    auto* v = n.as_string();
    if (!v) fail(n, "`" + std::string(key) + "` must be a duration string like \"100ms\"");
    auto d = parse_duration(v->get());
    if (!d)
      fail(n, "`" + std::string(key) + "` = \"" + v->get() +
                  "\" is not a duration; write e.g. \"20s\", \"100ms\", \"0.2ms\" or \"250us\"");
    return *d;
  }
  const toml::table& table_of(const toml::node& n, std::string_view key) const {
    if (auto* t = n.as_table()) return *t;
    fail(n, "`" + std::string(key) + "` must be a table");
  }

  // ---- sections -------------------------------------------------------------------------
  void parse_timing(const toml::table& t, Timing& timing) const {
    check_keys(t, {"heartbeat", "election_timeout"}, "[timing]");
    if (auto* n = t.get("heartbeat")) timing.heartbeat_us = duration_of(*n, "heartbeat");
    if (auto* n = t.get("election_timeout"))
      timing.election_timeout_us = duration_of(*n, "election_timeout");
    if (timing.heartbeat_us <= 0) fail(line_of(t, "heartbeat"), "`heartbeat` must be positive");
    if (timing.election_timeout_us % timing.heartbeat_us != 0 ||
        timing.election_timeout_us < 2 * timing.heartbeat_us)
      fail(line_of(t, "election_timeout"),
           "`election_timeout` must be a multiple of `heartbeat` and at least twice it "
           "(the tick is the heartbeat; election_tick = election_timeout / heartbeat)");
  }

  void parse_workload(const toml::table& t, Workload& w) const {
    check_keys(t, {"rate", "value_size", "keys", "read_share", "request_timeout"}, "[workload]");
    if (auto* n = t.get("rate")) {
      w.rate = number_of(*n, "rate");
      if (w.rate < 0 || w.rate > 1e6) fail(*n, "`rate` must be between 0 and 1000000 per second");
    }
    if (auto* n = t.get("value_size")) {
      auto v = integer_of(*n, "value_size");
      if (v < 1 || v > (1 << 20)) fail(*n, "`value_size` must be between 1 and 1048576 bytes");
      w.value_size = static_cast<int>(v);
    }
    if (auto* n = t.get("keys")) {
      auto v = integer_of(*n, "keys");
      if (v < 1 || v > 1'000'000) fail(*n, "`keys` must be between 1 and 1000000");
      w.keys = static_cast<int>(v);
    }
    if (auto* n = t.get("read_share")) w.read_share = share_of(*n, "read_share");
    if (auto* n = t.get("request_timeout")) {
      w.request_timeout_us = duration_of(*n, "request_timeout");
      if (w.request_timeout_us <= 0) fail(*n, "`request_timeout` must be positive");
    }
  }

  void parse_link_params(const toml::table& t, LinkParams& p) const {
    check_keys(t, {"delay", "jitter", "loss", "loss_model", "duplicate", "reorder"}, "[network]");
    if (auto* n = t.get("delay")) p.delay_us = duration_of(*n, "delay");
    if (auto* n = t.get("jitter")) p.jitter_us = duration_of(*n, "jitter");
    if (auto* n = t.get("loss")) p.loss = share_of(*n, "loss");
    if (auto* n = t.get("loss_model")) {
      const auto model = parse_loss_model(n->value<std::string>().value_or(""));
      if (model) {
        p.loss_model = *model;
      } else {
        fail(*n,
             "`loss_model` is \"stream\" (TCP: a lost packet delays the messages behind it) "
             "or \"datagram\" (each message lost on its own)");
      }
    }
    if (auto* n = t.get("duplicate")) p.duplicate = share_of(*n, "duplicate");
    if (auto* n = t.get("reorder")) p.reorder = share_of(*n, "reorder");
    if (p.loss >= 1)
      fail(line_of(t, "loss"), "a default `loss` of 1 would cut every link; use faults instead");
  }

  void parse_disk(const toml::table& t, DiskParams& d) const {
    check_keys(t, {"sync_latency"}, "[disk]");
    if (auto* n = t.get("sync_latency")) d.sync_latency_us = duration_of(*n, "sync_latency");
  }

  void parse_snapshot(const toml::table& t, SnapshotParams& p) const {
    check_keys(t, {"count", "catch_up_entries"}, "[snapshot]");
    if (auto* n = t.get("count")) {
      p.count = integer_of(*n, "count");
      if (p.count < 1 || p.count > 1'000'000'000)
        fail(*n, "`count` (applied entries between snapshots) must be between 1 and 1000000000");
    }
    if (auto* n = t.get("catch_up_entries")) {
      p.catch_up_entries = integer_of(*n, "catch_up_entries");
      if (p.catch_up_entries < 0 || p.catch_up_entries > 1'000'000'000)
        fail(*n, "`catch_up_entries` must be between 0 and 1000000000");
    }
  }

  // ---- node references and link shapes ---------------------------------------------------
  // "leader", "follower[i]" (0-based among non-leaders ordered by id), "node[k]" (id k).
  std::optional<NodeRef> try_role(const std::string& text) const {
    NodeRef r;
    r.text = text;
    if (text == "leader") return r;
    std::string_view body;
    if (text.starts_with("follower[") && text.ends_with("]")) {
      r.kind = NodeRef::Kind::follower;
      body = std::string_view(text).substr(9, text.size() - 10);
    } else if (text.starts_with("node[") && text.ends_with("]")) {
      r.kind = NodeRef::Kind::node;
      body = std::string_view(text).substr(5, text.size() - 6);
    } else {
      return std::nullopt;
    }
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), r.index);
    if (ec != std::errc() || end != body.data() + body.size() || body.empty()) return std::nullopt;
    return r;
  }

  NodeRef role_of(const toml::node& n, std::string_view key) const {
    std::string text = string_of(n, key);
    auto r = try_role(text);
    if (!r)
      fail(n, "`" + text +
                  "` is not a node; write \"leader\", \"follower[i]\" (0-based, "
                  "non-leaders by id) or \"node[k]\" (the node with id k, 1-based)");
    check_exists(n, *r);
    return *r;
  }

  void check_exists(const toml::node& n, const NodeRef& r) const {
    if (r.kind == NodeRef::Kind::follower && (r.index < 0 || r.index > nodes_ - 2))
      fail(n, "`" + r.text + "` cannot exist in a " + std::to_string(nodes_) +
                  "-node cluster (followers are follower[0] .. follower[" +
                  std::to_string(nodes_ - 2) + "])");
    if (r.kind == NodeRef::Kind::node && (r.index < 1 || r.index > nodes_))
      fail(n, "`" + r.text + "` cannot exist in a " + std::to_string(nodes_) +
                  "-node cluster (nodes are node[1] .. node[" + std::to_string(nodes_) + "])");
  }

  std::vector<NodeRef> roles_of(const toml::node& n, std::string_view key) const {
    std::vector<NodeRef> out;
    if (auto* a = n.as_array()) {
      if (a->empty()) fail(n, "`" + std::string(key) + "` names no node");
      for (auto& el : *a) out.push_back(role_of(el, key));
    } else {
      out.push_back(role_of(n, key));
    }
    return out;
  }

  // A pair [a, b], or a list of pairs [[a, b], [c, d]].
  std::vector<std::pair<NodeRef, NodeRef>> pairs_of(const toml::node& n,
                                                    std::string_view key) const {
    auto* a = n.as_array();
    auto bad = [&] {
      fail(n, "`" + std::string(key) + "` must be a pair of nodes like [\"leader\", " +
                  "\"follower[0]\"] or a list of such pairs");
    };
    if (!a || a->empty()) bad();
    std::vector<std::pair<NodeRef, NodeRef>> out;
    auto one = [&](const toml::array& p) {
      if (p.size() != 2) bad();
      NodeRef x = role_of(*p.get(0), key), y = role_of(*p.get(1), key);
      if (x.text == y.text) fail(p, "a link from `" + x.text + "` to itself cannot be cut");
      out.emplace_back(std::move(x), std::move(y));
    };
    if (a->get(0)->is_array()) {
      for (auto& el : *a) {
        if (!el.is_array()) bad();
        one(*el.as_array());
      }
    } else {
      one(*a);
    }
    return out;
  }

  // Reads every link shorthand present in `t` into `fault.shapes`; returns false if none.
  bool parse_shapes(const toml::table& t, Fault& fault) const {
    std::size_t before = fault.shapes.size();
    if (auto* n = t.get("cut"))
      for (auto& [x, y] : pairs_of(*n, "cut")) {
        fault.shapes.push_back({LinkShape::Kind::cut, {x, y}, {}});
        add_label(fault, x.text + " <-> " + y.text);
      }
    if (auto* n = t.get("one_way"))
      for (auto& [x, y] : pairs_of(*n, "one_way")) {
        fault.shapes.push_back({LinkShape::Kind::one_way, {x, y}, {}});
        add_label(fault, x.text + " -> " + y.text);
      }
    if (auto* n = t.get("isolate"))
      for (auto& r : roles_of(*n, "isolate")) {
        fault.shapes.push_back({LinkShape::Kind::isolate, {r}, {}});
        add_label(fault, "isolate " + r.text);
      }
    if (auto* n = t.get("bridge")) {
      NodeRef r = role_of(*n, "bridge");
      fault.shapes.push_back({LinkShape::Kind::bridge, {r}, {}});
      add_label(fault, "bridge through " + r.text);
    }
    if (auto* n = t.get("partition")) {
      auto* groups = n->as_array();
      if (!groups || groups->size() < 2)
        fail(*n,
             "`partition` must list at least two groups, e.g. [[\"leader\"], "
             "[\"follower[0]\", \"follower[1]\"]]");
      LinkShape shape{LinkShape::Kind::partition, {}, {}};
      std::set<std::string> seen;
      std::string text = "partition";
      for (auto& g : *groups) {
        if (!g.is_array()) fail(g, "each `partition` group must be a list of nodes");
        auto members = roles_of(g, "partition");
        text += " [";
        for (auto& m : members) {
          if (!seen.insert(m.text).second)
            fail(g, "`" + m.text + "` is in more than one partition group");
          text += (text.back() == '[' ? "" : " ") + m.text;
        }
        text += "]";
        shape.groups.push_back(std::move(members));
      }
      fault.shapes.push_back(std::move(shape));
      add_label(fault, text);
    }
    return fault.shapes.size() > before;
  }

  static void add_label(Fault& f, const std::string& part) {
    f.label += (f.label.empty() || f.label.back() == ' ' ? "" : ", ") + part;
  }

  // "all", a fault name, a node (restart/resume), or a list of those.
  void parse_undo_targets(const toml::node& n, std::string_view key, Fault& fault,
                          bool nodes_allowed, Fault::Action undoes) const {
    std::vector<const toml::node*> items;
    if (auto* a = n.as_array()) {
      if (a->empty()) fail(n, "`" + std::string(key) + "` names nothing");
      for (auto& el : *a) items.push_back(&el);
    } else {
      items.push_back(&n);
    }
    for (auto* item : items) {
      std::string text = string_of(*item, key);
      if (text == "all") {
        fault.all = true;
      } else if (auto role = nodes_allowed ? try_role(text) : std::nullopt) {
        check_exists(*item, *role);
        fault.nodes.push_back(*role);
      } else {
        auto it = names_.find(text);
        if (it == names_.end())
          fail(*item, "`" + std::string(key) + "` names `" + text + "`, which is neither \"all\"" +
                          (nodes_allowed ? ", a node" : "") + " nor the name of an earlier fault");
        if (it->second.action != undoes &&
            !(undoes == Fault::Action::cut && it->second.action == Fault::Action::degrade))
          fail(*item, "`" + std::string(key) + "` cannot undo fault `" + text + "`: it is not a " +
                          std::string(undo_noun(undoes)) + " fault");
        if (it->second.at_us > fault.at_us)
          fail(*item, "fault `" + text + "` fires after this " + std::string(key));
        fault.targets.push_back(text);
      }
      add_label(fault, text);
    }
  }

  static std::string_view undo_noun(Fault::Action a) {
    switch (a) {
      case Fault::Action::crash:
        return "crash";
      case Fault::Action::pause:
        return "pause";
      default:
        return "link";
    }
  }

  Fault parse_fault(const toml::table& t) {
    check_keys(t,
               {"at", "name", "cut", "one_way", "isolate", "bridge", "partition", "loss", "delay",
                "heal", "crash", "restart", "pause", "resume", "repeat"},
               "a [[fault]]");
    Fault f;
    f.line = static_cast<int>(t.source().begin.line);
    auto* at = t.get("at");
    if (!at) fail(f.line, "a [[fault]] needs `at` (when it fires, e.g. at = \"20s\")");
    f.at_us = duration_of(*at, "at");
    if (f.at_us >= duration_)
      fail(*at, "the fault at " + format_duration(f.at_us) + " fires after the end of the run (" +
                    format_duration(duration_) + ")");

    int actions = 0;
    bool has_shapes = false;
    for (auto k : {"cut", "one_way", "isolate", "bridge", "partition"}) has_shapes |= t.contains(k);
    actions += has_shapes;
    for (auto k : {"heal", "crash", "restart", "pause", "resume"}) actions += t.contains(k);
    if (actions != 1)
      fail(f.line,
           "a [[fault]] must do exactly one thing: cut links (cut, one_way, isolate, "
           "bridge, partition; with loss/delay to degrade them), heal, crash, restart, "
           "pause or resume");
    if ((t.contains("loss") || t.contains("delay")) && !has_shapes)
      fail(f.line,
           "`loss` and `delay` apply to links: name them with cut, one_way, isolate, "
           "bridge or partition");

    if (has_shapes) {
      parse_shapes(t, f);
      f.action = Fault::Action::cut;
      if (auto* n = t.get("loss")) {
        f.loss = share_of(*n, "loss");
        f.action = Fault::Action::degrade;
      }
      if (auto* n = t.get("delay")) {
        f.delay_us = duration_of(*n, "delay");
        f.action = Fault::Action::degrade;
      }
      std::string what = f.label;
      if (f.action == Fault::Action::cut) {
        f.label = "cut " + what;
      } else {
        f.label.clear();
        if (f.loss)
          add_label(f, "loss " + std::to_string(static_cast<int>(*f.loss * 100 + 0.5)) + "%");
        if (f.delay_us) add_label(f, "delay +" + format_duration(*f.delay_us));
        f.label += " on " + what;
      }
    } else if (auto* n = t.get("heal")) {
      f.action = Fault::Action::heal;
      f.label = "heal ";
      if (auto* table = n->as_table()) {
        check_keys(*table, {"cut", "one_way", "isolate", "bridge", "partition"}, "`heal`");
        if (!parse_shapes(*table, f)) fail(*n, "`heal` names no links");
      } else {
        parse_undo_targets(*n, "heal", f, false, Fault::Action::cut);
      }
    } else if (auto* n = t.get("crash")) {
      f.action = Fault::Action::crash;
      f.nodes = roles_of(*n, "crash");
      f.label = "crash";
      for (auto& r : f.nodes) f.label += " " + r.text;
    } else if (auto* n = t.get("pause")) {
      f.action = Fault::Action::pause;
      f.nodes = roles_of(*n, "pause");
      f.label = "pause";
      for (auto& r : f.nodes) f.label += " " + r.text;
    } else if (auto* n = t.get("restart")) {
      f.action = Fault::Action::restart;
      f.label = "restart ";
      parse_undo_targets(*n, "restart", f, true, Fault::Action::crash);
    } else if (auto* n = t.get("resume")) {
      f.action = Fault::Action::resume;
      f.label = "resume ";
      parse_undo_targets(*n, "resume", f, true, Fault::Action::pause);
    }

    if (auto* n = t.get("repeat")) parse_repeat(table_of(*n, "repeat"), f);

    if (auto* n = t.get("name")) {
      f.name = string_of(*n, "name");
      if (f.name.empty() || f.name == "all" || try_role(f.name))
        fail(*n, "`name` must be a word that is not \"all\" and not a node");
      if (!names_.emplace(f.name, f).second)
        fail(*n, "another fault is already named `" + f.name + "`");
    }
    return f;
  }

  void parse_repeat(const toml::table& t, Fault& f) const {
    check_keys(t, {"every", "count", "duration"}, "`repeat`");
    int line = static_cast<int>(t.source().begin.line);
    if (f.action == Fault::Action::heal || f.action == Fault::Action::restart ||
        f.action == Fault::Action::resume)
      fail(line,
           "only cuts, degraded links, crashes and pauses can repeat (a repeating fault "
           "undoes itself after `duration`)");
    Repeat r;
    auto* every = t.get("every");
    auto* count = t.get("count");
    auto* duration = t.get("duration");
    if (!every || !count || !duration)
      fail(line,
           "`repeat` needs `every`, `count` and `duration`, e.g. { every = \"20s\", "
           "count = 3, duration = \"10s\" }");
    r.every_us = duration_of(*every, "every");
    r.duration_us = duration_of(*duration, "duration");
    auto c = integer_of(*count, "count");
    if (c < 1 || c > kMaxRepeatCount)
      fail(*count, "`count` must be between 1 and " + std::to_string(kMaxRepeatCount));
    r.count = static_cast<int>(c);
    if (r.duration_us <= 0 || r.every_us <= 0 || r.duration_us > r.every_us)
      fail(line, "`repeat` needs 0 < duration <= every, so one firing is undone before the next");
    Micros last = f.at_us + r.every_us * (r.count - 1);
    if (last >= duration_)
      fail(*count, "the last repetition fires at " + format_duration(last) +
                       ", after the end of the run (" + format_duration(duration_) + ")");
    f.label += " (every " + format_duration(r.every_us) + " for " + format_duration(r.duration_us) +
               ", " + std::to_string(r.count) + " times)";
    f.repeat = r;
  }

  std::string file_;
  int nodes_ = 3;
  Micros duration_ = 0;
  std::map<std::string, Fault> names_;
};

Scenario parse_with(const std::string& file, const std::function<toml::table()>& load) {
  toml::table root;
  try {
    root = load();
  } catch (const toml::parse_error& e) {
    throw ScenarioError(file, static_cast<int>(e.source().begin.line),
                        "TOML syntax: " + std::string(e.description()));
  }
  return Parser(file).parse(root);
}

}  // namespace

ScenarioError::ScenarioError(std::string file, int line, std::string problem)
    : std::runtime_error(file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " +
                         problem),
      file_(std::move(file)),
      line_(line),
      problem_(std::move(problem)) {}

Scenario parse_scenario_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw ScenarioError(path.string(), 0, "no such scenario file");
  return parse_with(path.string(), [&] { return toml::parse_file(path.string()); });
}

Scenario parse_scenario_text(std::string_view text, std::string_view source_name) {
  std::string name(source_name);
  return parse_with(name, [&] { return toml::parse(text, name); });
}

std::optional<Micros> parse_duration(std::string_view text) {
  std::size_t unit_at = text.find_first_not_of("0123456789.");
  if (unit_at == 0 || unit_at == std::string_view::npos) return std::nullopt;
  std::string_view number = text.substr(0, unit_at), unit = text.substr(unit_at);
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  double scale = 0;
  if (unit == "us")
    scale = 1;
  else if (unit == "ms")
    scale = 1e3;
  else if (unit == "s")
    scale = 1e6;
  else if (unit == "m")
    scale = 60e6;
  else if (unit == "h")
    scale = 3600e6;
  else
    return std::nullopt;
  double us = value * scale;
  if (us > 1e15) return std::nullopt;
  return static_cast<Micros>(std::llround(us));
}

std::string toml_string(std::string_view text) { return "\"" + std::string(text) + "\""; }

const char* loss_model_name(LinkParams::LossModel model) {
  return model == LinkParams::LossModel::stream ? "stream" : "datagram";
}

std::optional<LinkParams::LossModel> parse_loss_model(std::string_view name) {
  if (name == "stream") return LinkParams::LossModel::stream;
  if (name == "datagram") return LinkParams::LossModel::datagram;
  return std::nullopt;
}

std::string toml_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string format_duration(Micros us) {
  auto trim = [](double x, const char* unit) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", x);
    std::string s(buf);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + unit;
  };
  if (us != 0 && us % 1'000'000 == 0) return std::to_string(us / 1'000'000) + "s";
  if (us >= 1'000'000) return trim(static_cast<double>(us) / 1e6, "s");
  if (us >= 1'000 || us == 0) return trim(static_cast<double>(us) / 1e3, "ms");
  return std::to_string(us) + "us";
}

}  // namespace faultline::sim
