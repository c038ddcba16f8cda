// The run record: everything one run (simulated or real) produced, in one shape that the
// simulator and the lab both write and that the analysis and the report read. Saved as a
// folder of plain files so any run can be analysed again later:
//
//   RUN_DIR/meta.json      scenario name, driver, system, profile, seed, node ids, the
//                          resolved scenario, timing, start/end, phase boundaries
//   RUN_DIR/ops.csv        one client operation per line (header line first)
//   RUN_DIR/samples.csv    one node sample per line (header line first)
//   RUN_DIR/faults.jsonl   one fault event per line
//
// All times are microseconds since the run's start (virtual time in the simulator, a
// monotonic clock in the lab).
//
// Encoding. The CSV files are RFC 4180 (record/csv.h): a header line naming the columns
// (read by name, so their order may change), then one row per item; a field containing a
// comma, a double quote, CR or LF (or starting/ending with a space) is enclosed in double
// quotes with inner quotes doubled, and every other byte is kept as it is, so keys, values
// and error texts may be arbitrary bytes and load(save(r)) == r. Enums are written by name
// (to_string below). meta.json (format "faultline-run-record", version 1) also holds the
// row counts of the other files, so a truncated file is an error, never a shorter run; it
// is written last, so a folder without it is not (yet) a record. faults.jsonl holds one
// JSON object per line; JSON text must be UTF-8, so non-UTF-8 bytes in a fault's label or
// detail are replaced when saved. The resolved scenario is stored as a JSON object when
// scenario_json parses, and read back compact (dump()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::record {

using Micros = std::int64_t;
using NodeId = std::uint64_t;

enum class OpKind : std::uint8_t { write, read };
enum class Outcome : std::uint8_t { ok, fail, timeout };  // timeout: unknown whether it took effect

struct Operation {
  std::uint64_t id = 0;
  std::uint32_t client = 0;
  NodeId node = 0;  // the endpoint the request was sent to
  OpKind kind = OpKind::write;
  std::string key;
  std::string value;         // written (write) or returned (read ok); empty read = absent key
  Micros intended_us = 0;    // when the open-loop schedule meant it to start
  Micros sent_us = 0;        // when it actually left the client
  Micros completed_us = -1;  // when the answer arrived (-1: never, for timeouts)
  Outcome outcome = Outcome::timeout;
  std::string error;  // why it failed, if it did ("no leader", "timeout", ...)
};

enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader, down };

struct NodeSample {
  Micros time_us = 0;
  NodeId node = 0;
  Role role = Role::follower;
  std::uint64_t term = 0;
  NodeId leader = 0;  // 0: none known
  std::uint64_t commit = 0;
  std::uint64_t applied = 0;
};

// A directed link: packets from `from` to `to`.
struct Link {
  NodeId from = 0;
  NodeId to = 0;
  bool operator==(const Link&) const = default;
};

enum class FaultKind : std::uint8_t { cut, heal, loss, delay, crash, restart, pause, resume };

struct FaultEvent {
  Micros time_us = 0;
  FaultKind kind = FaultKind::cut;
  std::string label;          // as written in the scenario, e.g. "cut leader <-> follower[0]"
  std::vector<Link> links;    // the directed links it affects (cut, heal, loss, delay)
  std::vector<NodeId> nodes;  // the nodes it affects (crash, restart, pause, resume)
  double loss = 0;            // share of packets dropped (loss)
  Micros delay_us = 0;        // added one-way delay (delay)
  std::string detail;         // what was actually done (lab: the nftables rules)
};

struct Meta {
  std::string scenario;  // the scenario's name
  std::string driver;    // "sim" | "lab"
  std::string system;    // "faultline" | "etcd"
  std::string profile;   // profile name, or "etcd" / "etcd --pre-vote"
  std::uint64_t seed = 0;
  std::vector<NodeId> nodes;
  Micros heartbeat_us = 0;
  Micros election_timeout_us = 0;
  Micros duration_us = 0;      // the run's length
  Micros first_fault_us = -1;  // start of the "during" phase (-1: no fault)
  Micros last_heal_us = -1;    // end of the "during" phase (-1: never healed)
  std::string scenario_json;   // the resolved scenario, as JSON text
  // Safety checks the run failed; what a check is depends on the driver.
  //   sim: a Raft safety invariant broken (election safety, log matching, ...); the first
  //        one stops the run, so this is 0 or 1, and `violation` names it with seed and step.
  //   lab: a node process that exited on its own (an assertion, a panic, a refusal to start),
  //        once per exit; `violation` is the first: "node 3 exited on its own at 12.4 s
  //        (killed by signal 6, Aborted); its log ends: ...".
  std::uint64_t invariant_violations = 0;
  std::string violation;  // the first failed check's message, empty when none failed
};

struct RunRecord {
  Meta meta;
  std::vector<Operation> ops;
  std::vector<NodeSample> samples;  // in time order
  std::vector<FaultEvent> faults;   // in time order
};

// A record that cannot be read: the message names the file, the line and the problem.
class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes `record` into `dir` (created if needed); files are written to temporaries and
// renamed, so a crash never leaves a half record that looks whole.
void save(const RunRecord& record, const std::filesystem::path& dir);
// Reads a record; throws RecordError for a folder that is not one, or a truncated file.
RunRecord load(const std::filesystem::path& dir);
// Reads only an ops.csv file (for `faultline check` on a bare history); no count check.
std::vector<Operation> load_ops(const std::filesystem::path& ops_csv);

std::string_view to_string(OpKind k);
std::string_view to_string(Outcome o);
std::string_view to_string(Role r);
std::string_view to_string(FaultKind k);
std::optional<OpKind> op_kind_from(std::string_view s);
std::optional<Outcome> outcome_from(std::string_view s);
std::optional<Role> role_from(std::string_view s);
std::optional<FaultKind> fault_kind_from(std::string_view s);

}  // namespace faultline::record
