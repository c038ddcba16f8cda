#include "testlib/interaction_env.h"

#include <charconv>
#include <set>
#include <stdexcept>

#include "raft/profiles.h"
#include "testlib/describe.h"

namespace faultline::raft::testlib {
namespace {

using testing::Cluster;
using testing::DropReason;
using testing::NodeSetup;

// The longest a stabilize may take; a story that needs more is a livelock worth seeing.
constexpr int kMaxStabilizeRounds = 200;

std::uint64_t parse_number(std::string_view text, std::string_view what) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw ScriptError(std::string(what) + " must be a number, not \"" + std::string(text) + "\"");
  }
  return v;
}

bool parse_bool(std::string_view text, std::string_view what) {
  if (text == "true") return true;
  if (text == "false") return false;
  throw ScriptError(std::string(what) + " must be true or false, not \"" + std::string(text) +
                    "\"");
}

// Reads a command's options, remembering which were used, so that a misspelt option is
// an error instead of being silently ignored.
class Options {
 public:
  explicit Options(const Command& c) : c_(c) {}

  bool has(const std::string& key) {
    used_.insert(key);
    return c_.options.count(key) != 0;
  }
  std::string text(const std::string& key, std::string fallback) {
    return has(key) ? c_.options.at(key) : std::move(fallback);
  }
  std::uint64_t number(const std::string& key, std::uint64_t fallback) {
    return has(key) ? parse_number(c_.options.at(key), key) : fallback;
  }
  bool flag(const std::string& key, bool fallback) {
    return has(key) ? parse_bool(c_.options.at(key), key) : fallback;
  }
  // Throws for any option no reader asked about.
  void finish() const {
    for (const auto& [key, value] : c_.options) {
      if (used_.count(key) == 0) {
        throw ScriptError("unknown option " + key + " for " + c_.name);
      }
    }
  }

 private:
  const Command& c_;
  std::set<std::string> used_;
};

NodeId node_arg(const Command& c, std::size_t i) {
  if (i >= c.args.size()) {
    throw ScriptError(c.name + " needs a node id as argument " + std::to_string(i + 1));
  }
  NodeId id = parse_number(c.args[i], "a node id");
  if (id == kNone) throw ScriptError("node ids start at 1");
  return id;
}

void expect_args(const Command& c, std::size_t n) {
  if (c.args.size() != n) {
    throw ScriptError(c.name + " takes " + std::to_string(n) + " argument(s), not " +
                      std::to_string(c.args.size()));
  }
}

// "1,1,4" -> {1, 1, 4}; empty text -> {}.
std::vector<std::uint64_t> parse_list(const std::string& text, std::string_view what) {
  std::vector<std::uint64_t> out;
  std::size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(parse_number(std::string_view(text).substr(start, comma - start), what));
    start = comma + 1;
  }
  return out;
}

// log=1,1,4: one entry per listed term, at indexes 1, 2, 3.
std::vector<Entry> parse_log(const std::string& terms) {
  std::vector<Entry> log;
  for (std::uint64_t term : parse_list(terms, "a log term")) {
    log.push_back(Entry{term, log.size() + 1, ""});
  }
  return log;
}

}  // namespace

InteractionEnv::InteractionEnv() { cluster_.set_observer(this); }

InteractionEnv::~InteractionEnv() { cluster_.set_observer(nullptr); }

void InteractionEnv::emit(std::string text) {
  // One output line per text line: a blank line would end the case in the script, so
  // empty lines are left out.
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out_.push_back(indent_ + text.substr(start, end - start));
    start = end + 1;
  }
}

void InteractionEnv::report_error(ErrorCode e) {
  if (e != ErrorCode::ok) emit("error: " + std::string(to_string(e)));
}

std::vector<std::string> InteractionEnv::run(const Command& c) {
  out_.clear();
  indent_.clear();
  try {
    if (c.name == "add-nodes") {
      add_nodes(c);
    } else if (c.name == "campaign") {
      expect_args(c, 1);
      cluster_.node(node_arg(c, 0)).campaign();
    } else if (c.name == "propose") {
      expect_args(c, 2);
      report_error(cluster_.node(node_arg(c, 0)).propose(c.args[1]));
    } else if (c.name == "tick") {
      tick(c);
    } else if (c.name == "tick-election") {
      tick_election(c);
    } else if (c.name == "tick-heartbeat") {
      tick_heartbeat(c);
    } else if (c.name == "process-ready") {
      process_ready(c);
    } else if (c.name == "deliver-msgs") {
      deliver_msgs(c);
    } else if (c.name == "stabilize") {
      stabilize(c);
    } else if (c.name == "cut" || c.name == "cut-one-way" || c.name == "heal") {
      links(c);
    } else if (c.name == "status") {
      status(c);
    } else if (c.name == "raft-log") {
      raft_log(c);
    } else if (c.name == "applied") {
      applied(c);
    } else if (c.name == "read-index") {
      expect_args(c, 2);
      report_error(cluster_.node(node_arg(c, 0)).read_index(c.args[1]));
    } else if (c.name == "transfer-leader") {
      Options opts(c);
      expect_args(c, 1);
      if (!opts.has("to")) throw ScriptError("transfer-leader needs to=<node>");
      NodeId target = opts.number("to", 0);
      opts.finish();
      report_error(cluster_.node(node_arg(c, 0)).transfer_leader(target));
    } else if (c.name == "compact") {
      expect_args(c, 2);
      report_error(
          cluster_.compact(node_arg(c, 0), parse_number(c.args[1], "the compaction index")));
    } else if (c.name == "report-unreachable") {
      expect_args(c, 2);
      cluster_.node(node_arg(c, 0)).report_unreachable(node_arg(c, 1));
    } else if (c.name == "crash") {
      expect_args(c, 1);
      cluster_.crash(node_arg(c, 0));
    } else if (c.name == "restart") {
      expect_args(c, 1);
      cluster_.restart(node_arg(c, 0));
    } else if (c.name == "step") {
      step(c);
    } else {
      throw ScriptError("unknown command " + c.name);
    }
  } catch (const std::out_of_range& e) {
    // A node that does not exist or is down: the story shows the refusal.
    indent_.clear();
    emit(std::string("error: ") + e.what());
  }
  return std::move(out_);
}

void InteractionEnv::add_nodes(const Command& c) {
  expect_args(c, 1);
  const std::uint64_t count = parse_number(c.args[0], "the node count");
  if (count == 0 || count > 9) throw ScriptError("add-nodes adds 1 to 9 nodes");
  Options opts(c);
  const NodeId first = cluster_.ids().empty() ? 1 : cluster_.ids().back() + 1;
  // voters=1,2,3: the configuration the new nodes start with. By default every node that
  // exists after this command (ids 1..last), which is what one add-nodes wants.
  std::vector<NodeId> voters;
  if (opts.has("voters")) {
    for (std::uint64_t v : parse_list(opts.text("voters", ""), "a voter id")) voters.push_back(v);
  } else {
    for (NodeId v = 1; v < first + count; ++v) voters.push_back(v);
  }

  Config base;
  base.election_tick = static_cast<int>(opts.number("election", 10));
  base.heartbeat_tick = static_cast<int>(opts.number("heartbeat", 1));
  const std::string profile_name = opts.text("profile", "raft");
  const Profile* profile = find_profile(profile_name);
  if (profile == nullptr) {
    throw ScriptError("unknown profile " + profile_name + "; known: " + profile_names());
  }
  base.switches = profile->switches;
  base.switches.pre_vote = opts.flag("pre-vote", base.switches.pre_vote);
  base.switches.check_quorum = opts.flag("check-quorum", base.switches.check_quorum);
  base.switches.vote_lease = opts.flag("vote-lease", base.switches.vote_lease);
  base.switches.prevote_requires_no_leader =
      opts.flag("prevote-requires-no-leader", base.switches.prevote_requires_no_leader);
  const std::string read_only = opts.text("read-only", "safe");
  if (read_only == "safe") {
    base.read_only = ReadOnlyOption::safe;
  } else if (read_only == "lease-based") {
    base.read_only = ReadOnlyOption::lease_based;
  } else {
    throw ScriptError("read-only must be safe or lease-based");
  }
  base.disable_proposal_forwarding = !opts.flag("forwarding", true);
  base.max_size_per_msg = opts.number("max-msg-size", base.max_size_per_msg);
  base.max_inflight_msgs = static_cast<int>(opts.number("max-inflight", 256));
  const std::uint64_t seed = opts.number("seed", 1);
  base.peers = voters;

  std::vector<Entry> log = parse_log(opts.text("log", ""));
  HardState hs;
  hs.term = opts.number("term", log.empty() ? 0 : log.back().term);
  hs.vote = opts.number("vote", kNone);
  hs.commit = opts.number("commit", 0);
  opts.finish();

  for (NodeId id = first; id < first + count; ++id) {
    NodeSetup setup;
    setup.config = base;
    setup.config.id = id;
    // Each node its own stream, all fixed by the script's seed.
    setup.config.seed = seed * 1000 + id;
    setup.config.logger = [this](std::string_view line) { emit(std::string(line)); };
    setup.log = log;
    setup.hard_state = hs;
    try {
      cluster_.add_node(std::move(setup));
    } catch (const ConfigError& e) {
      emit(std::string("error: ") + e.what());
      return;
    } catch (const std::invalid_argument& e) {
      throw ScriptError(e.what());
    }
  }
}

void InteractionEnv::tick(const Command& c) {
  expect_args(c, 1);
  Options opts(c);
  const std::uint64_t times = opts.number("times", 1);
  opts.finish();
  if (times > 1000) throw ScriptError("tick: at most 1000 ticks at once");
  RawNode& node = cluster_.node(node_arg(c, 0));
  for (std::uint64_t i = 0; i < times; ++i) node.tick();
}

void InteractionEnv::tick_election(const Command& c) {
  // Ticks until the node's election timer fires: its randomized timeout for a follower or
  // candidate, the plain election timeout (the CheckQuorum beat) for a leader.
  expect_args(c, 1);
  RawNode& node = cluster_.node(node_arg(c, 0));
  const Status s = node.status();
  const int timeout = s.soft_state.role == StateRole::leader ? node.config().election_tick
                                                             : s.randomized_election_timeout;
  const int ticks = std::max(1, timeout - s.election_elapsed);
  for (int i = 0; i < ticks; ++i) node.tick();
}

void InteractionEnv::tick_heartbeat(const Command& c) {
  expect_args(c, 1);
  RawNode& node = cluster_.node(node_arg(c, 0));
  for (int i = 0; i < node.config().heartbeat_tick; ++i) node.tick();
}

void InteractionEnv::process_ready(const Command& c) {
  std::vector<NodeId> ids;
  for (std::size_t i = 0; i < c.args.size(); ++i) ids.push_back(node_arg(c, i));
  if (ids.empty()) ids = cluster_.ids();
  for (NodeId id : ids) {
    if (!cluster_.is_up(id)) throw std::out_of_range("node " + std::to_string(id) + " is down");
    cluster_.handle_ready(id);
  }
  indent_.clear();
}

void InteractionEnv::deliver_msgs(const Command& c) {
  Options opts(c);
  const NodeId from = opts.number("from", kNone);
  const NodeId to = opts.number("to", kNone);
  std::optional<MessageType> type;
  if (opts.has("type")) {
    const std::string name = opts.text("type", "");
    type = parse_message_type(name);
    if (!type) throw ScriptError("unknown message type " + name);
  }
  opts.finish();
  bool drop = false;
  for (const std::string& a : c.args) {
    if (a != "drop") throw ScriptError("deliver-msgs takes only options and the word drop");
    drop = true;
  }
  std::size_t n = cluster_.deliver_matching(
      [&](const Message& m) {
        return (from == kNone || m.from == from) && (to == kNone || m.to == to) &&
               (!type || m.type == *type);
      },
      drop);
  if (n == 0) emit("no messages");
}

void InteractionEnv::stabilize(const Command& c) {
  expect_args(c, 0);
  for (int round = 0; round < kMaxStabilizeRounds; ++round) {
    bool busy = false;
    for (NodeId id : cluster_.ids()) busy = cluster_.handle_ready(id) || busy;
    indent_.clear();
    for (NodeId id : cluster_.ids()) {
      bool any = false;
      for (const Message& m : cluster_.in_flight()) any = any || m.to == id;
      if (!any) continue;
      busy = true;
      emit("> " + std::to_string(id) + " receiving messages");
      indent_ = "  ";
      cluster_.deliver_matching([id](const Message& m) { return m.to == id; });
      indent_.clear();
    }
    if (!busy) return;
  }
  emit("stabilize: still busy after " + std::to_string(kMaxStabilizeRounds) + " rounds");
}

void InteractionEnv::links(const Command& c) {
  if (c.name == "heal" && c.args.empty()) {
    cluster_.heal_all();
    return;
  }
  expect_args(c, 2);
  const NodeId a = node_arg(c, 0);
  const NodeId b = node_arg(c, 1);
  if (!cluster_.has(a) || !cluster_.has(b)) throw ScriptError(c.name + ": no such node");
  if (c.name == "cut") {
    cluster_.cut(a, b);
    cluster_.cut(b, a);
  } else if (c.name == "cut-one-way") {
    cluster_.cut(a, b);
  } else {
    cluster_.heal(a, b);
    cluster_.heal(b, a);
  }
}

void InteractionEnv::status(const Command& c) {
  expect_args(c, 1);
  for (std::string& line : describe_status(cluster_.node(node_arg(c, 0)).status())) {
    emit(std::move(line));
  }
}

void InteractionEnv::raft_log(const Command& c) {
  expect_args(c, 1);
  const NodeId id = node_arg(c, 0);
  std::vector<Entry> log = cluster_.node(id).log_entries();
  if (log.empty()) {
    const Status s = cluster_.node(id).status();
    emit("log is empty: first index=" + std::to_string(s.first_index) +
         ", last index=" + std::to_string(s.last_index));
  }
  for (const Entry& e : log) emit(describe_entry(e));
}

void InteractionEnv::applied(const Command& c) {
  expect_args(c, 1);
  const NodeId id = node_arg(c, 0);
  cluster_.node(id);  // throws when down: a crashed node has no state machine
  const testing::AppliedState& a = cluster_.applied(id);
  emit("applied Index:" + std::to_string(a.index) + " Term:" + std::to_string(a.term) +
       " Proposals:" + std::to_string(a.proposals));
}

void InteractionEnv::step(const Command& c) {
  // Hands a hand-made message straight to a node: the way to show what the core refuses.
  expect_args(c, 1);
  Options opts(c);
  Message m;
  m.to = node_arg(c, 0);
  m.from = opts.number("from", kNone);
  const std::string name = opts.text("type", "");
  std::optional<MessageType> type = parse_message_type(name);
  if (!type) throw ScriptError("step needs type=<message type>, not \"" + name + "\"");
  m.type = *type;
  m.term = opts.number("term", 0);
  m.log_term = opts.number("logterm", 0);
  m.index = opts.number("index", 0);
  m.commit = opts.number("commit", 0);
  m.reject = opts.flag("reject", false);
  m.reject_hint = opts.number("hint", 0);
  m.context = opts.text("context", "");
  opts.finish();
  RawNode& node = cluster_.node(m.to);
  emit(describe_message(m));
  report_error(node.step(m));
}

void InteractionEnv::on_ready(NodeId id, const Ready& rd) {
  indent_.clear();
  emit("> " + std::to_string(id) + " handling Ready");
  indent_ = "  ";
  for (std::string& line : describe_ready(rd)) emit(std::move(line));
}

void InteractionEnv::on_deliver(const Message& m) { emit(describe_message(m)); }

void InteractionEnv::on_refused(const Message& /*m*/, ErrorCode why) {
  emit("refused: " + std::string(to_string(why)));
}

void InteractionEnv::on_drop(const Message& m, DropReason why) {
  emit("dropped: " + describe_message(m) + " (" + std::string(testing::to_string(why)) + ")");
}

void InteractionEnv::on_snapshot_reported(NodeId leader, NodeId to, bool ok) {
  emit("snapshot " + std::to_string(leader) + "->" + std::to_string(to) + " reported " +
       (ok ? "delivered" : "lost"));
}

}  // namespace faultline::raft::testlib
