// A scenario: cluster size, timing, workload, network and disk defaults, and a timeline of
// faults, read from a TOML file (scenarios/*.toml; the format is docs/scenarios.md). The
// same file drives the simulator and the lab. Nodes are named by role (`leader`,
// `follower[0]`, `node[3]`) and resolved only when a fault fires, so a scenario works
// whoever won the first election.
//
// Parsing validates everything up front: a scenario that parses can be run. A bad one
// raises ScenarioError naming the file, the line and the problem, and nothing runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::sim {

using Micros = std::int64_t;

struct Timing {
  Micros heartbeat_us = 100'000;         // one Raft tick
  Micros election_timeout_us = 500'000;  // election_tick = election / heartbeat

  bool operator==(const Timing&) const = default;
};

// The paper's client: an open-loop stream at a fixed rate, round-robin over the nodes.
struct Workload {
  double rate = 1000;     // operations per second (0: no client)
  int value_size = 10;    // bytes per written value
  int keys = 10;          // keys drawn uniformly from k0 .. k<keys-1>
  double read_share = 0;  // share of operations that are linearizable reads
  Micros request_timeout_us = 1'000'000;

  bool operator==(const Workload&) const = default;
};

// One directed link's behaviour; the scenario's [network] table is every link's default.
struct LinkParams {
  Micros delay_us = 200;  // one-way delay
  Micros jitter_us = 50;  // each packet's delay is delay +- uniform(jitter), never negative
  double loss = 0;        // share of packets dropped
  // What a lost packet does to a message. `stream` (the default) is what etcd and faultline
  // see: their peers talk over TCP, so a lost packet is sent again after the retransmission
  // timeout (200 ms, doubling at each loss), the messages behind it wait (head of line), and
  // a message still not through after 2 s is gone (the connection is dropped and redialled).
  // `datagram`: each message is lost on its own, with probability `loss`.
  enum class LossModel : std::uint8_t { stream, datagram };
  LossModel loss_model = LossModel::stream;
  double duplicate = 0;  // share of packets delivered twice
  double reorder = 0;    // share of packets that may overtake earlier ones

  bool operator==(const LinkParams&) const = default;
};

struct DiskParams {
  Micros sync_latency_us = 100;  // time for a Ready's entries and hard state to be durable

  bool operator==(const DiskParams&) const = default;
};

// Snapshots and log compaction, as etcd does them (its defaults): a node saves its state
// machine every `count` applied entries and drops its log before the snapshot except the
// last `catch_up_entries`; a follower that needs an entry dropped gets the snapshot.
struct SnapshotParams {
  std::int64_t count = 100'000;          // etcd's --snapshot-count
  std::int64_t catch_up_entries = 5000;  // etcd's SnapshotCatchUpEntries

  bool operator==(const SnapshotParams&) const = default;
};

// A node named by its role when the fault fires.
struct NodeRef {
  enum class Kind : std::uint8_t { leader, follower, node };
  Kind kind = Kind::leader;
  int index = 0;     // follower: 0-based among non-leaders by id; node: the node id (1-based)
  std::string text;  // as written, for labels and messages
};

// A set of directed links named by a shorthand; resolved to node ids when it fires.
struct LinkShape {
  enum class Kind : std::uint8_t {
    cut,        // nodes[0] <-> nodes[1], both directions
    one_way,    // nodes[0] -> nodes[1] only
    isolate,    // every link to and from nodes[0]
    bridge,     // every link that does not touch nodes[0]: the others talk only through it
    partition,  // every link between two different groups (nodes in no group keep theirs)
  };
  Kind kind = Kind::cut;
  std::vector<NodeRef> nodes;
  std::vector<std::vector<NodeRef>> groups;  // partition only
};

struct Repeat {
  Micros every_us = 0;     // from one firing to the next
  int count = 1;           // firings in all
  Micros duration_us = 0;  // each firing is undone this long after it fired
};

struct Fault {
  enum class Action : std::uint8_t { cut, degrade, heal, crash, restart, pause, resume };
  Action action = Action::cut;
  Micros at_us = 0;
  int line = 0;       // where it is written, for messages
  std::string name;   // optional: later heal/restart/resume may refer to it
  std::string label;  // human-readable, e.g. "cut leader <-> follower[0]"

  // cut, degrade, and a heal of specific links.
  std::vector<LinkShape> shapes;
  // degrade: the selected links keep working but lose or delay packets.
  std::optional<double> loss;
  std::optional<Micros> delay_us;
  // crash, pause; restart or resume of specific nodes.
  std::vector<NodeRef> nodes;
  // heal, restart, resume: undo everything of that kind ...
  bool all = false;
  // ... or what the named earlier faults did (their resolved ids are remembered).
  std::vector<std::string> targets;

  std::optional<Repeat> repeat;  // cut, degrade, crash, pause only
};

struct Scenario {
  std::string name;
  std::string description;  // what the literature predicts
  std::string source;       // the file it was read from ("<string>" for text)
  int nodes = 3;
  Micros duration_us = 60'000'000;
  Timing timing;
  Workload workload;
  LinkParams network;
  DiskParams disk;
  SnapshotParams snapshot;
  std::vector<Fault> faults;  // in time order (stable for equal times)

  int election_tick() const {
    return static_cast<int>(timing.election_timeout_us / timing.heartbeat_us);
  }
};

// A scenario that cannot be run. what() is "FILE:LINE: PROBLEM" (LINE omitted if unknown).
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string file, int line, std::string problem);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  int line_;
  std::string problem_;
};

// Reads and validates a scenario file; throws ScenarioError.
Scenario parse_scenario_file(const std::filesystem::path& path);
// The same for text in memory; `source_name` stands for the file in messages.
Scenario parse_scenario_text(std::string_view text, std::string_view source_name);

// The resolved scenario (defaults filled in, times in microseconds) as JSON text, for the
// run record's meta.scenario_json.
std::string scenario_to_json(const Scenario& scenario);

// "20s", "100ms", "0.2ms", "250us", "2m" -> microseconds; nullopt if malformed.
std::optional<Micros> parse_duration(std::string_view text);
// Microseconds as the shortest readable duration ("20s", "0.2ms").
std::string format_duration(Micros us);

// A loss model's name in scenario files ("stream", "datagram"), and back (nullopt: none).
const char* loss_model_name(LinkParams::LossModel model);
std::optional<LinkParams::LossModel> parse_loss_model(std::string_view name);

// For code that writes scenario files (the nemesis, the atlas): a TOML string for text
// with no quotes or backslashes in it (role names, durations, fault names), and a number
// ("0.3", "200", "1e+06").
std::string toml_string(std::string_view text);
std::string toml_number(double x);

// Finds a scenario by path or catalogue name. A path that exists is used as is; otherwise
// `name` (with or without .toml) is looked up in $FAULTLINE_SCENARIOS, then in the
// source tree's scenarios/ folder. Throws ScenarioError listing where it looked.
std::filesystem::path find_scenario(std::string_view name_or_path);
// The catalogue folder used by find_scenario (the first of the above that exists).
std::filesystem::path catalogue_dir();

}  // namespace faultline::sim
