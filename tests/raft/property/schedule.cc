#include "property/schedule.h"

#include <array>
#include <random>
#include <set>
#include <utility>

#include "raft/testing/cluster.h"
#include "raft/testing/safety_monitor.h"

namespace faultline::raft::property {
namespace {

// "p12" and the like, built with += (GCC 12 at -O3 warns, falsely, about `"p" + string`).
std::string numbered(char prefix, std::uint64_t n) {
  std::string out(1, prefix);
  out += std::to_string(n);
  return out;
}

using testing::Cluster;
using testing::NodeSetup;
using testing::SafetyMonitor;

// Deterministic everywhere: std::mt19937_64's output is fixed by the standard, but the
// standard distributions are not, so ranges are drawn by hand.
class Dice {
 public:
  explicit Dice(std::uint64_t seed) : gen_(seed) {}
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : gen_() % n; }
  bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }
  std::uint64_t next() { return gen_(); }

 private:
  std::mt19937_64 gen_;
};

enum class Action : std::uint8_t {
  tick,
  tick_all,
  handle_ready,
  deliver,
  duplicate,
  drop,
  propose,
  cut,
  heal,
  heal_all,
  crash,
  restart,
  compact,
  campaign,
  read_index,
  transfer_leader,
};

// Weights out of their sum. A schedule alternates between calm spells (no new faults,
// messages mostly in order, crashed nodes come back) in which the cluster elects leaders and
// commits, and storms (cuts, crashes, drops, duplicates, any order) that break it again:
// all storm and nothing would ever be committed worth checking.
using Weights = std::array<std::pair<Action, int>, 16>;
constexpr Weights kCalm{{
    {Action::tick, 6},
    {Action::tick_all, 1},
    {Action::handle_ready, 30},
    {Action::deliver, 45},
    {Action::duplicate, 0},
    {Action::drop, 0},
    {Action::propose, 8},
    {Action::cut, 0},
    {Action::heal, 0},
    {Action::heal_all, 1},
    {Action::crash, 0},
    {Action::restart, 10},
    {Action::compact, 2},
    {Action::campaign, 1},
    {Action::read_index, 1},
    {Action::transfer_leader, 1},
}};
constexpr Weights kStorm{{
    {Action::tick, 14},
    {Action::tick_all, 2},
    {Action::handle_ready, 22},
    {Action::deliver, 26},
    {Action::duplicate, 2},
    {Action::drop, 4},
    {Action::propose, 8},
    {Action::cut, 3},
    {Action::heal, 2},
    {Action::heal_all, 1},
    {Action::crash, 1},
    {Action::restart, 4},
    {Action::compact, 2},
    {Action::campaign, 1},
    {Action::read_index, 1},
    {Action::transfer_leader, 1},
}};
// The chance per step, in percent, that the weather changes.
constexpr int kWeatherChange = 2;
// In calm weather most deliveries take one of the oldest messages (a network that mostly
// keeps order); otherwise any message in flight (reordering).
constexpr std::size_t kCalmWindow = 3;

constexpr std::string_view action_name(Action a) {
  switch (a) {
    case Action::tick:
      return "tick";
    case Action::tick_all:
      return "tick all";
    case Action::handle_ready:
      return "handle ready";
    case Action::deliver:
      return "deliver";
    case Action::duplicate:
      return "deliver a duplicate of";
    case Action::drop:
      return "drop";
    case Action::propose:
      return "propose at";
    case Action::cut:
      return "cut";
    case Action::heal:
      return "heal";
    case Action::heal_all:
      return "heal all";
    case Action::crash:
      return "crash";
    case Action::restart:
      return "restart";
    case Action::compact:
      return "compact";
    case Action::campaign:
      return "campaign";
    case Action::read_index:
      return "read index at";
    case Action::transfer_leader:
      return "transfer leadership from";
  }
  return "?";
}

// How many recent actions a failure report shows.
constexpr std::size_t kRecentActions = 24;
// The network never holds more than this; beyond it the oldest message is lost.
constexpr std::size_t kMaxInFlight = 256;

class ScheduleRun {
 public:
  explicit ScheduleRun(const ScheduleSpec& spec)
      : spec_(spec), dice_(spec.seed), cluster_(kMaxInFlight), monitor_(cluster_) {
    std::vector<NodeId> peers;
    for (int i = 1; i <= spec.nodes; ++i) peers.push_back(static_cast<NodeId>(i));
    // Timing and flow control vary per schedule, so small windows and split appends are
    // exercised too; all of it comes from the seed.
    const int election = 4 + static_cast<int>(dice_.below(7));
    const std::uint64_t max_msg = dice_.chance(30) ? 1 : 1024 * 1024;
    const int inflight = dice_.chance(30) ? 1 + static_cast<int>(dice_.below(3)) : 256;
    const bool lease_reads = spec.switches.check_quorum && dice_.chance(30);
    for (NodeId id : peers) {
      NodeSetup setup;
      setup.config.id = id;
      setup.config.peers = peers;
      setup.config.election_tick = election;
      setup.config.heartbeat_tick = 1;
      setup.config.switches = spec.switches;
      setup.config.max_size_per_msg = max_msg;
      setup.config.max_inflight_msgs = inflight;
      setup.config.read_only = lease_reads ? ReadOnlyOption::lease_based : ReadOnlyOption::safe;
      setup.config.seed = dice_.next();
      cluster_.add_node(std::move(setup));
    }
  }

  ScheduleResult run() {
    ScheduleResult result;
    for (int step = 1; step <= spec_.steps; ++step) {
      touched_.clear();
      perform(pick_action());
      for (NodeId id : touched_) monitor_.check(id);
      for (NodeId id : touched_) note_leader(id);
      if (monitor_.violation()) {
        result.violation = monitor_.violation();
        result.step = step;
        break;
      }
    }
    result.recent_actions.assign(recent_.begin(), recent_.end());
    stats_.entries_committed = monitor_.checker().highest_committed();
    stats_.snapshots_restored = monitor_.restores();
    result.stats = stats_;
    return result;
  }

 private:
  Action pick_action() {
    if (dice_.chance(kWeatherChange)) calm_ = !calm_;
    const Weights& weights = calm_ ? kCalm : kStorm;
    int total = 0;
    for (const auto& [a, w] : weights) total += w;
    int roll = static_cast<int>(dice_.below(static_cast<std::uint64_t>(total)));
    for (const auto& [a, w] : weights) {
      if (roll < w) return a;
      roll -= w;
    }
    return Action::tick;
  }

  NodeId any_node() { return 1 + dice_.below(static_cast<std::uint64_t>(spec_.nodes)); }

  // A random up node, or kNone when every node is down.
  NodeId up_node() {
    std::vector<NodeId> up;
    for (NodeId id : cluster_.ids()) {
      if (cluster_.is_up(id)) up.push_back(id);
    }
    return up.empty() ? kNone : up[dice_.below(up.size())];
  }

  void record(Action a, NodeId x = kNone, NodeId y = kNone) {
    std::string line(action_name(a));
    // Appended piece by piece: GCC 12 at -O3 warns, falsely, about `"literal" + string`.
    if (x != kNone) {
      line += ' ';
      line += std::to_string(x);
    }
    if (y != kNone) {
      line += a == Action::transfer_leader ? " to " : "->";
      line += std::to_string(y);
    }
    if (recent_.size() == kRecentActions) recent_.erase(recent_.begin());
    recent_.push_back(std::move(line));
  }

  void note_leader(NodeId id) {
    if (!cluster_.is_up(id)) return;
    const Status s = cluster_.node(id).status();
    if (s.soft_state.role == StateRole::leader && leaders_.emplace(s.hard_state.term, id).second) {
      ++stats_.leaders_elected;
    }
  }

  void perform(Action a) {
    switch (a) {
      case Action::tick: {
        NodeId id = up_node();
        if (id == kNone) return;
        record(a, id);
        cluster_.node(id).tick();
        touched_.insert(id);
        return;
      }
      case Action::tick_all:
        record(a);
        cluster_.tick_all();
        for (NodeId id : cluster_.ids()) touched_.insert(id);
        return;
      case Action::handle_ready: {
        // Prefer a node that has something to hand out, or little would ever happen.
        std::vector<NodeId> ready;
        for (NodeId id : cluster_.ids()) {
          if (cluster_.is_up(id) && cluster_.node(id).has_ready()) ready.push_back(id);
        }
        if (ready.empty()) return;
        NodeId id = ready[dice_.below(ready.size())];
        record(a, id);
        cluster_.handle_ready(id);
        touched_.insert(id);
        return;
      }
      case Action::deliver:
      case Action::duplicate:
      case Action::drop: {
        if (cluster_.in_flight().empty()) return;
        const std::size_t size = cluster_.in_flight().size();
        std::size_t i = dice_.below(calm_ ? std::min(size, kCalmWindow) : size);
        const Message& m = cluster_.in_flight()[i];
        record(a, m.from, m.to);
        touched_.insert(m.to);
        touched_.insert(m.from);  // a snapshot's fate is reported back to its sender
        if (a == Action::drop) {
          cluster_.drop(i);
          return;
        }
        const NodeId to = m.to;
        ++stats_.messages_delivered;
        cluster_.deliver(i, /*keep_copy=*/a == Action::duplicate);
        // In calm weather a node often answers at once, as a real one would; otherwise
        // its Ready waits to be picked, so responses interleave with everything else.
        if (calm_ && dice_.chance(50)) cluster_.handle_ready(to);
        return;
      }
      case Action::propose: {
        NodeId id = up_node();
        if (id == kNone) return;
        record(a, id);
        cluster_.node(id).propose(numbered('p', ++proposals_));
        touched_.insert(id);
        return;
      }
      case Action::cut: {
        NodeId from = any_node();
        NodeId to = any_node();
        if (from == to) return;
        record(a, from, to);
        cluster_.cut(from, to);
        return;
      }
      case Action::heal: {
        NodeId from = any_node();
        NodeId to = any_node();
        if (from == to) return;
        record(a, from, to);
        cluster_.heal(from, to);
        return;
      }
      case Action::heal_all:
        record(a);
        cluster_.heal_all();
        return;
      case Action::crash: {
        NodeId id = up_node();
        if (id == kNone) return;
        record(a, id);
        cluster_.crash(id);
        ++stats_.crashes;
        return;
      }
      case Action::restart: {
        std::vector<NodeId> down;
        for (NodeId id : cluster_.ids()) {
          if (!cluster_.is_up(id)) down.push_back(id);
        }
        if (down.empty()) return;
        NodeId id = down[dice_.below(down.size())];
        record(a, id);
        if (spec_.forget_vote_on_restart) {
          HardState hs = cluster_.storage(id).initial_state().hard_state;
          hs.vote = kNone;
          cluster_.disk_for_fault_injection(id).set_hard_state(hs);
        }
        cluster_.restart(id);
        touched_.insert(id);
        return;
      }
      case Action::compact: {
        NodeId id = up_node();
        if (id == kNone) return;
        const Index applied = cluster_.applied(id).index;
        if (applied < 2) return;
        // Keep a few entries now and then, so both snapshots and short catch-ups happen.
        const Index index = applied - dice_.below(std::min<Index>(applied - 1, 3));
        record(a, id);
        if (cluster_.compact(id, index) == ErrorCode::ok) ++stats_.compactions;
        touched_.insert(id);
        return;
      }
      case Action::campaign: {
        NodeId id = up_node();
        if (id == kNone) return;
        record(a, id);
        cluster_.node(id).campaign();
        touched_.insert(id);
        return;
      }
      case Action::read_index: {
        NodeId id = up_node();
        if (id == kNone) return;
        record(a, id);
        cluster_.node(id).read_index(numbered('r', ++reads_));
        touched_.insert(id);
        return;
      }
      case Action::transfer_leader: {
        NodeId leader = cluster_.leader();
        if (leader == kNone) return;
        NodeId target = any_node();
        record(a, leader, target);
        cluster_.node(leader).transfer_leader(target);
        touched_.insert(leader);
        return;
      }
    }
  }

  ScheduleSpec spec_;
  Dice dice_;
  Cluster cluster_;
  SafetyMonitor monitor_;
  std::set<NodeId> touched_;
  std::set<std::pair<Term, NodeId>> leaders_;
  std::vector<std::string> recent_;
  ScheduleStats stats_;
  std::uint64_t proposals_ = 0;
  std::uint64_t reads_ = 0;
  bool calm_ = true;  // schedules start calm, so most elect a first leader
};

}  // namespace

ScheduleStats& ScheduleStats::operator+=(const ScheduleStats& o) {
  leaders_elected += o.leaders_elected;
  entries_committed += o.entries_committed;
  messages_delivered += o.messages_delivered;
  crashes += o.crashes;
  snapshots_restored += o.snapshots_restored;
  compactions += o.compactions;
  return *this;
}

ScheduleResult run_schedule(const ScheduleSpec& spec) { return ScheduleRun(spec).run(); }

std::string describe_switches(const Switches& s) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += '+';
    out += name;
  };
  add(s.pre_vote, "pre_vote");
  add(s.check_quorum, "check_quorum");
  add(s.vote_lease, "vote_lease");
  add(s.prevote_requires_no_leader, "prevote_requires_no_leader");
  return out.empty() ? "none" : out;
}

}  // namespace faultline::raft::property
