// Saving and loading run records (see run_record.h for the layout and csv.h for the CSV
// dialect). Saving is atomic per file and the record only "looks whole" once meta.json,
// written last, is in place; meta.json also carries the row counts so that a truncated
// ops.csv or samples.csv is detected on load rather than analysed as a shorter run.
#include "record/run_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "record/csv.h"
#include "record/json_number.h"

namespace faultline::record {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kFormat = "faultline-run-record";
constexpr int kVersion = 1;

const std::array<std::string_view, 11> kOpColumns = {
    "id",          "client",  "node",         "kind",    "key",  "value",
    "intended_us", "sent_us", "completed_us", "outcome", "error"};
const std::array<std::string_view, 7> kSampleColumns = {"time_us", "node",   "role",   "term",
                                                        "leader",  "commit", "applied"};

// ---- writing ----------------------------------------------------------------------------

void write_all(int fd, const std::string& content, const fs::path& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RecordError(path.string() + ": write failed: " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

// Writes `content` to `path`.tmp and syncs it; the caller renames it into place.
fs::path write_temporary(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RecordError(tmp.string() + ": cannot create: " + std::strerror(errno));
  try {
    write_all(fd, content, tmp);
    if (::fsync(fd) != 0) {
      throw RecordError(tmp.string() + ": fsync failed: " + std::strerror(errno));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return tmp;
}

void rename_into_place(const fs::path& tmp, const fs::path& path) {
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw RecordError(path.string() + ": cannot rename into place: " + ec.message());
}

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the files themselves are synced
  ::fsync(fd);
  ::close(fd);
}

std::string ops_csv(const std::vector<Operation>& ops) {
  std::string out;
  out.reserve(64 * (ops.size() + 1));
  csv::append_row(out, {kOpColumns.begin(), kOpColumns.end()});
  for (const Operation& op : ops) {
    std::string id = std::to_string(op.id), client = std::to_string(op.client),
                node = std::to_string(op.node), intended = std::to_string(op.intended_us),
                sent = std::to_string(op.sent_us), completed = std::to_string(op.completed_us);
    csv::append_row(out, {id, client, node, to_string(op.kind), op.key, op.value, intended, sent,
                          completed, to_string(op.outcome), op.error});
  }
  return out;
}

std::string samples_csv(const std::vector<NodeSample>& samples) {
  std::string out;
  out.reserve(40 * (samples.size() + 1));
  csv::append_row(out, {kSampleColumns.begin(), kSampleColumns.end()});
  for (const NodeSample& s : samples) {
    std::string time = std::to_string(s.time_us), node = std::to_string(s.node),
                term = std::to_string(s.term), leader = std::to_string(s.leader),
                commit = std::to_string(s.commit), applied = std::to_string(s.applied);
    csv::append_row(out, {time, node, to_string(s.role), term, leader, commit, applied});
  }
  return out;
}

std::string faults_jsonl(const std::vector<FaultEvent>& faults) {
  std::string out;
  for (const FaultEvent& f : faults) {
    json links = json::array();
    for (const Link& l : f.links) links.push_back({l.from, l.to});
    json j = {{"time_us", f.time_us},   {"kind", to_string(f.kind)}, {"label", f.label},
              {"links", links},         {"nodes", f.nodes},          {"loss", f.loss},
              {"delay_us", f.delay_us}, {"detail", f.detail}};
    out += j.dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

std::string meta_json(const RunRecord& r) {
  const Meta& m = r.meta;
  json scenario = nullptr;
  if (!m.scenario_json.empty()) {
    scenario = json::parse(m.scenario_json, nullptr, /*allow_exceptions=*/false);
    if (scenario.is_discarded()) scenario = m.scenario_json;  // keep it, as text
  }
  json j = {{"format", kFormat},
            {"version", kVersion},
            {"scenario", m.scenario},
            {"driver", m.driver},
            {"system", m.system},
            {"profile", m.profile},
            {"seed", m.seed},
            {"nodes", m.nodes},
            {"heartbeat_us", m.heartbeat_us},
            {"election_timeout_us", m.election_timeout_us},
            {"duration_us", m.duration_us},
            {"first_fault_us", m.first_fault_us},
            {"last_heal_us", m.last_heal_us},
            {"resolved_scenario", scenario},
            {"invariant_violations", m.invariant_violations},
            {"violation", m.violation},
            {"counts",
             {{"ops", r.ops.size()}, {"samples", r.samples.size()}, {"faults", r.faults.size()}}}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// ---- reading ----------------------------------------------------------------------------

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RecordError(path.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw RecordError(path.string() + ": read failed");
  return ss.str();
}

// Where a problem was found, for the error message: "ops.csv:17".
struct Place {
  const fs::path& file;
  std::size_t line;
  [[noreturn]] void fail(const std::string& problem) const {
    throw RecordError(file.string() + ":" + std::to_string(line) + ": " + problem);
  }
};

template <typename Int>
Int parse_int(std::string_view text, std::string_view column, const Place& at) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    at.fail("column '" + std::string(column) + "': not an integer: '" + std::string(text) + "'");
  }
  return value;
}

template <typename Enum>
Enum parse_enum(std::optional<Enum> (*from)(std::string_view), std::string_view text,
                std::string_view column, const Place& at) {
  std::optional<Enum> value = from(text);
  if (!value)
    at.fail("column '" + std::string(column) + "': unknown value '" + std::string(text) + "'");
  return *value;
}

// Maps each expected column to its position in the header, so the column order may change.
template <std::size_t N>
std::array<std::size_t, N> column_positions(const std::vector<std::string>& header,
                                            const std::array<std::string_view, N>& expected,
                                            const Place& at) {
  std::array<std::size_t, N> pos{};
  for (std::size_t i = 0; i < N; ++i) {
    std::size_t found = header.size();
    for (std::size_t h = 0; h < header.size(); ++h) {
      if (header[h] == expected[i]) found = h;
    }
    if (found == header.size()) at.fail("header has no column '" + std::string(expected[i]) + "'");
    pos[i] = found;
  }
  return pos;
}

// Reads a CSV file of the record, calling `row(fields-in-expected-order, place)` per row.
template <std::size_t N, typename RowFn>
void read_csv(const fs::path& path, const std::array<std::string_view, N>& columns, RowFn row) {
  std::string text = read_file(path);
  csv::Reader reader(text);
  std::array<std::size_t, N> pos{};
  bool header = true;
  while (true) {
    std::optional<std::vector<std::string>> fields;
    try {
      fields = reader.next();
    } catch (const std::runtime_error& e) {
      Place{path, reader.line()}.fail(e.what());
    }
    if (!fields) break;
    Place at{path, reader.line()};
    if (header) {
      pos = column_positions(*fields, columns, at);
      header = false;
      continue;
    }
    std::array<std::string_view, N> ordered;
    for (std::size_t i = 0; i < N; ++i) {
      if (pos[i] >= fields->size()) {
        at.fail("has " + std::to_string(fields->size()) + " fields, expected at least " +
                std::to_string(pos[i] + 1));
      }
      ordered[i] = (*fields)[pos[i]];
    }
    row(ordered, at);
  }
  if (header) Place{path, 1}.fail("empty file (no header line)");
}

// `v` as a T; if it is not, a RecordError that starts with `where`.
template <std::integral T>
T integer_at(const json& v, const std::string& where) {
  if (auto i = json_integer<T>(v)) return *i;
  throw RecordError(where + ": expected " + json_integer_expected<T>() + ", not " + v.dump());
}

template <typename T>
T meta_field(const json& j, const char* name, const fs::path& path) {
  auto it = j.find(name);
  if (it == j.end()) throw RecordError(path.string() + ": missing field '" + name + "'");
  const std::string where = path.string() + ": field '" + name + "'";
  if constexpr (std::is_integral_v<T>) {
    return integer_at<T>(*it, where);
  } else if constexpr (std::is_same_v<T, std::vector<NodeId>>) {
    if (!it->is_array()) throw RecordError(where + ": expected a list of node ids");
    T ids;
    for (const json& v : *it) ids.push_back(integer_at<NodeId>(v, where));
    return ids;
  } else {
    try {
      return it->get<T>();
    } catch (const json::exception& e) {
      throw RecordError(where + ": " + e.what());
    }
  }
}

Meta read_meta(const fs::path& path, json& counts) {
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const json::parse_error& e) {
    throw RecordError(path.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || j.value("format", std::string()) != kFormat) {
    throw RecordError(path.string() + ": not a faultline run record (no \"format\": \"" +
                      std::string(kFormat) + "\")");
  }
  if (meta_field<int>(j, "version", path) != kVersion) {
    throw RecordError(path.string() + ": unsupported version " + j["version"].dump());
  }
  Meta m;
  m.scenario = meta_field<std::string>(j, "scenario", path);
  m.driver = meta_field<std::string>(j, "driver", path);
  m.system = meta_field<std::string>(j, "system", path);
  m.profile = meta_field<std::string>(j, "profile", path);
  m.seed = meta_field<std::uint64_t>(j, "seed", path);
  m.nodes = meta_field<std::vector<NodeId>>(j, "nodes", path);
  m.heartbeat_us = meta_field<Micros>(j, "heartbeat_us", path);
  m.election_timeout_us = meta_field<Micros>(j, "election_timeout_us", path);
  m.duration_us = meta_field<Micros>(j, "duration_us", path);
  m.first_fault_us = meta_field<Micros>(j, "first_fault_us", path);
  m.last_heal_us = meta_field<Micros>(j, "last_heal_us", path);
  const json& scenario = j.contains("resolved_scenario") ? j["resolved_scenario"] : json();
  if (scenario.is_string()) {
    m.scenario_json = scenario.get<std::string>();
  } else if (!scenario.is_null()) {
    m.scenario_json = scenario.dump();
  }
  m.invariant_violations = meta_field<std::uint64_t>(j, "invariant_violations", path);
  m.violation = meta_field<std::string>(j, "violation", path);
  counts = j.contains("counts") ? j["counts"] : json::object();
  return m;
}

void check_count(const json& counts, const char* name, std::size_t actual, const fs::path& file) {
  if (!counts.contains(name)) return;
  const auto expected =
      integer_at<std::size_t>(counts[name], file.string() + ": its row count in meta.json");
  if (expected != actual) {
    throw RecordError(file.string() + ": has " + std::to_string(actual) +
                      " rows but meta.json says " + std::to_string(expected) +
                      " (truncated or edited file)");
  }
}

std::vector<FaultEvent> read_faults(const fs::path& path) {
  std::string text = read_file(path);
  std::vector<FaultEvent> faults;
  std::size_t line = 0, pos = 0;
  while (pos < text.size()) {
    ++line;
    std::size_t end = text.find('\n', pos);
    Place at{path, line};
    if (end == std::string::npos) at.fail("last line has no newline (truncated file?)");
    std::string_view content(text.data() + pos, end - pos);
    pos = end + 1;
    if (content.empty()) continue;
    json j = json::parse(content, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) at.fail("not a JSON object");
    try {
      const std::string where = path.string() + ":" + std::to_string(line);
      FaultEvent f;
      f.time_us = integer_at<Micros>(j.at("time_us"), where + ": time_us");
      f.kind = parse_enum(fault_kind_from, j.at("kind").get<std::string>(), "kind", at);
      f.label = j.value("label", std::string());
      for (const json& l : j.value("links", json::array())) {
        if (!l.is_array() || l.size() != 2) at.fail("a link is not a [from, to] pair");
        f.links.push_back({integer_at<NodeId>(l[0], where + ": a link"),
                           integer_at<NodeId>(l[1], where + ": a link")});
      }
      const json nodes = j.value("nodes", json::array());
      if (!nodes.is_array()) at.fail("nodes is not a list");
      for (const json& n : nodes) f.nodes.push_back(integer_at<NodeId>(n, where + ": a node"));
      f.loss = j.value("loss", 0.0);
      if (j.contains("delay_us"))
        f.delay_us = integer_at<Micros>(j["delay_us"], where + ": delay_us");
      f.detail = j.value("detail", std::string());
      faults.push_back(std::move(f));
    } catch (const json::exception& e) {
      at.fail(e.what());
    }
  }
  return faults;
}

}  // namespace

void save(const RunRecord& record, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw RecordError(dir.string() + ": cannot create folder: " + ec.message());
  const std::array<std::pair<fs::path, std::string>, 3> data = {{
      {dir / "ops.csv", ops_csv(record.ops)},
      {dir / "samples.csv", samples_csv(record.samples)},
      {dir / "faults.jsonl", faults_jsonl(record.faults)},
  }};
  std::string meta = meta_json(record);
  std::vector<std::pair<fs::path, fs::path>> renames;
  for (const auto& [path, content] : data)
    renames.emplace_back(write_temporary(path, content), path);
  fs::path meta_tmp = write_temporary(dir / "meta.json", meta);
  // Replacing an older record: it stops looking whole before its data files change.
  fs::remove(dir / "meta.json", ec);
  for (const auto& [tmp, path] : renames) rename_into_place(tmp, path);
  rename_into_place(meta_tmp, dir / "meta.json");
  sync_directory(dir);
}

namespace {

std::vector<Operation> read_ops(const fs::path& ops_path) {
  std::vector<Operation> ops;
  read_csv(ops_path, kOpColumns, [&](const auto& f, const Place& at) {
    Operation op;
    op.id = parse_int<std::uint64_t>(f[0], kOpColumns[0], at);
    op.client = parse_int<std::uint32_t>(f[1], kOpColumns[1], at);
    op.node = parse_int<NodeId>(f[2], kOpColumns[2], at);
    op.kind = parse_enum(op_kind_from, f[3], kOpColumns[3], at);
    op.key = f[4];
    op.value = f[5];
    op.intended_us = parse_int<Micros>(f[6], kOpColumns[6], at);
    op.sent_us = parse_int<Micros>(f[7], kOpColumns[7], at);
    op.completed_us = parse_int<Micros>(f[8], kOpColumns[8], at);
    op.outcome = parse_enum(outcome_from, f[9], kOpColumns[9], at);
    op.error = f[10];
    ops.push_back(std::move(op));
  });
  return ops;
}

}  // namespace

std::vector<Operation> load_ops(const fs::path& ops_csv) {
  if (!fs::is_regular_file(ops_csv)) throw RecordError(ops_csv.string() + ": no such file");
  return read_ops(ops_csv);
}

RunRecord load(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw RecordError(dir.string() + ": not a folder");
  if (!fs::exists(dir / "meta.json")) {
    throw RecordError(dir.string() + ": not a run record (no meta.json)");
  }
  RunRecord r;
  json counts;
  r.meta = read_meta(dir / "meta.json", counts);

  const fs::path ops_path = dir / "ops.csv";
  r.ops = read_ops(ops_path);
  check_count(counts, "ops", r.ops.size(), ops_path);

  const fs::path samples_path = dir / "samples.csv";
  read_csv(samples_path, kSampleColumns, [&](const auto& f, const Place& at) {
    NodeSample s;
    s.time_us = parse_int<Micros>(f[0], kSampleColumns[0], at);
    s.node = parse_int<NodeId>(f[1], kSampleColumns[1], at);
    s.role = parse_enum(role_from, f[2], kSampleColumns[2], at);
    s.term = parse_int<std::uint64_t>(f[3], kSampleColumns[3], at);
    s.leader = parse_int<NodeId>(f[4], kSampleColumns[4], at);
    s.commit = parse_int<std::uint64_t>(f[5], kSampleColumns[5], at);
    s.applied = parse_int<std::uint64_t>(f[6], kSampleColumns[6], at);
    r.samples.push_back(s);
  });
  check_count(counts, "samples", r.samples.size(), samples_path);

  const fs::path faults_path = dir / "faults.jsonl";
  r.faults = read_faults(faults_path);
  check_count(counts, "faults", r.faults.size(), faults_path);
  return r;
}

// ---- names ------------------------------------------------------------------------------

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> kOpKindNames = {"write", "read"};
constexpr std::array<std::string_view, 3> kOutcomeNames = {"ok", "fail", "timeout"};
constexpr std::array<std::string_view, 5> kRoleNames = {"follower", "pre_candidate", "candidate",
                                                        "leader", "down"};
constexpr std::array<std::string_view, 8> kFaultKindNames = {"cut",   "heal",    "loss",  "delay",
                                                             "crash", "restart", "pause", "resume"};

}  // namespace

std::string_view to_string(OpKind k) { return kOpKindNames.at(static_cast<std::size_t>(k)); }
std::string_view to_string(Outcome o) { return kOutcomeNames.at(static_cast<std::size_t>(o)); }
std::string_view to_string(Role r) { return kRoleNames.at(static_cast<std::size_t>(r)); }
std::string_view to_string(FaultKind k) { return kFaultKindNames.at(static_cast<std::size_t>(k)); }
std::optional<OpKind> op_kind_from(std::string_view s) { return lookup<OpKind>(kOpKindNames, s); }
std::optional<Outcome> outcome_from(std::string_view s) {
  return lookup<Outcome>(kOutcomeNames, s);
}
std::optional<Role> role_from(std::string_view s) { return lookup<Role>(kRoleNames, s); }
std::optional<FaultKind> fault_kind_from(std::string_view s) {
  return lookup<FaultKind>(kFaultKindNames, s);
}

}  // namespace faultline::record
