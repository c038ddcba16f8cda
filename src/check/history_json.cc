// Jepsen-style JSON histories, out and in (see history_json.h for the two shapes).
#include "check/history_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace faultline::check {
namespace {

using nlohmann::json;
using record::Micros;
using record::Operation;
using record::OpKind;
using record::Outcome;

// Exactly what the JSON writer accepts (it rejects invalid and overlong sequences).
bool is_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

// A canonical decimal integer ("17", "-3"; not "017", "+3", "1e3") becomes a JSON number.
json value_json(const std::string& v, const char* what, std::uint64_t id) {
  if (v.empty()) return nullptr;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec == std::errc() && end == v.data() + v.size() && std::to_string(n) == v) return n;
  if (!is_utf8(v)) {
    throw HistoryError("operation #" + std::to_string(id) + ": the " + what +
                       " is not valid UTF-8, so it cannot be written as JSON");
  }
  return v;
}

struct Event {
  Micros time;
  // At one instant: completions (0), invocations (1) with the completions of operations
  // that took less than a microsecond, then unknown outcomes (2).
  int order;
  std::size_t op;
  std::string type;  // invoke | ok | fail | info
};

}  // namespace

json to_jepsen_json(const std::vector<Operation>& ops, HistoryFormat format) {
  if (format == HistoryFormat::knossos) {
    std::set<std::string> keys;
    for (const Operation& op : ops) keys.insert(op.key);
    if (keys.size() > 1) {
      throw HistoryError("the knossos shape holds one register, but the history has " +
                         std::to_string(keys.size()) + " keys; use the elle shape");
    }
  }
  Micros last = 0;
  for (const Operation& op : ops) last = std::max({last, op.sent_us, op.completed_us});
  std::vector<Event> events;
  events.reserve(2 * ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = ops[i];
    events.push_back({op.sent_us, 1, i, "invoke"});
    if (op.outcome == Outcome::timeout) {  // no answer: Jepsen's "info", at the end
      events.push_back({std::max(last, op.sent_us), 2, i, "info"});
      continue;
    }
    const Micros done = std::max(op.completed_us >= 0 ? op.completed_us : op.sent_us, op.sent_us);
    // An answer in the same microsecond as its request (Jepsen's nanoseconds, rounded) goes
    // with the invocations: after its own, which stable_sort keeps first.
    events.push_back(
        {done, done > op.sent_us ? 0 : 1, i, op.outcome == Outcome::ok ? "ok" : "fail"});
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.order != b.order) return a.order < b.order;
    return a.op < b.op;
  });

  json history = json::array();
  std::set<int> free_processes;
  int next_process = 0;
  std::map<std::size_t, int> process_of;
  for (const Event& e : events) {
    const Operation& op = ops[e.op];
    int process;
    if (e.type == "invoke") {
      if (free_processes.empty()) {
        process = next_process++;
      } else {
        process = *free_processes.begin();
        free_processes.erase(free_processes.begin());
      }
      process_of[e.op] = process;
    } else {
      process = process_of.at(e.op);
      if (e.type != "info") free_processes.insert(process);  // Jepsen never reuses after info
    }
    bool write = op.kind == OpKind::write;
    json value = nullptr;
    if (write) {
      value = value_json(op.value, "value", op.id);
    } else if (e.type == "ok") {
      value = value_json(op.value, "value", op.id);
    }
    json j = {{"index", history.size()},
              {"process", process},
              {"type", e.type},
              {"time", e.time * 1000},
              {"op_id", op.id}};
    if (format == HistoryFormat::elle) {
      if (!is_utf8(op.key)) {
        throw HistoryError("operation #" + std::to_string(op.id) + ": the key is not valid UTF-8");
      }
      j["f"] = "txn";
      j["value"] = json::array({json::array({write ? "w" : "r", op.key, value})});
    } else {
      j["f"] = write ? "write" : "read";
      j["value"] = value;
    }
    if (e.type != "invoke" && e.type != "ok" && !op.error.empty() && is_utf8(op.error)) {
      j["error"] = op.error;
    }
    history.push_back(std::move(j));
  }
  return history;
}

void export_history(const std::vector<Operation>& ops, const std::filesystem::path& path,
                    HistoryFormat format) {
  std::string text = to_jepsen_json(ops, format).dump(-1) + "\n";
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw HistoryError(tmp.string() + ": cannot create");
    out << text;
    out.flush();
    if (!out) throw HistoryError(tmp.string() + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw HistoryError(path.string() + ": cannot rename into place: " + ec.message());
}

namespace {

[[noreturn]] void bad(std::size_t at, const std::string& problem) {
  throw HistoryError("op at position " + std::to_string(at) + ": " + problem);
}

// A string field of an op map: empty when absent, an error naming it when not a string
// (nlohmann's own exception would not say where).
std::string string_field(const json& e, const char* name, std::size_t at) {
  const auto it = e.find(name);
  if (it == e.end()) return {};
  if (!it->is_string()) bad(at, std::string("'") + name + "' must be a string, not " + it->dump());
  return it->get<std::string>();
}

std::string value_text(const json& v, std::size_t at) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e15)
      return std::to_string(static_cast<std::int64_t>(d));
    return v.dump();
  }
  bad(at, "a register value must be a string, an integer or null, not " + v.dump());
}

// The (kind, key, value) of an op map, in either shape.
struct Call {
  OpKind kind;
  std::string key;
  json value;
};

Call parse_call(const json& op, std::size_t at) {
  std::string f = string_field(op, "f", at);
  const json value = op.contains("value") ? op["value"] : json();
  if (f == "txn" || (f.empty() && value.is_array())) {
    if (!value.is_array() || value.size() != 1 || !value[0].is_array() || value[0].size() != 3) {
      bad(at, "a txn must hold exactly one micro-op [f, key, value] (registers, not transactions)");
    }
    const json& mop = value[0];
    std::string mf = mop[0].is_string() ? mop[0].get<std::string>() : "";
    if (mf != "w" && mf != "r" && mf != "write" && mf != "read") bad(at, "micro-op must be w or r");
    std::string key = mop[1].is_string() ? mop[1].get<std::string>() : mop[1].dump();
    return {mf[0] == 'w' ? OpKind::write : OpKind::read, key, mop[2]};
  }
  if (f == "write" || f == "read") {
    OpKind kind = f == "write" ? OpKind::write : OpKind::read;
    if (value.is_array() && value.size() == 2) {  // an independent [key, value] tuple
      std::string key = value[0].is_string() ? value[0].get<std::string>() : value[0].dump();
      return {kind, key, value[1]};
    }
    return {kind, "", value};
  }
  bad(at, "unsupported f '" + f + "' (expected txn, write or read)");
}

}  // namespace

std::vector<Operation> from_jepsen_json(const json& history) {
  if (!history.is_array()) throw HistoryError("a history must be a JSON array of op maps");
  std::vector<Operation> ops;
  std::map<std::int64_t, std::size_t> open;  // process -> index in ops
  for (std::size_t at = 0; at < history.size(); ++at) {
    const json& e = history[at];
    if (!e.is_object()) bad(at, "not a JSON object");
    if (!e.contains("process") || !e["process"].is_number_integer()) continue;  // nemesis etc.
    std::int64_t process = e["process"].get<std::int64_t>();
    std::string type = string_field(e, "type", at);
    Micros time = static_cast<Micros>(at);
    if (e.contains("time") && e["time"].is_number()) {
      // Nanoseconds; any that fit in 64 bits (a larger number would not fit in Micros either).
      const double ns = e["time"].get<double>();
      if (!(ns >= 0 && ns < 9.2e18))
        bad(at, "time must be from 0 to 9.2e18 ns, not " + e["time"].dump());
      time = static_cast<Micros>(ns / 1000.0);
    }
    Call call = parse_call(e, at);
    if (type == "invoke") {
      if (open.count(process)) {
        bad(at, "process " + std::to_string(process) + " invokes while its previous op is open");
      }
      Operation op;
      op.id = e.contains("op_id") && e["op_id"].is_number_unsigned()
                  ? e["op_id"].get<std::uint64_t>()
                  : ops.size();
      op.client = static_cast<std::uint32_t>(process);
      op.kind = call.kind;
      op.key = call.key;
      if (call.kind == OpKind::write) op.value = value_text(call.value, at);
      op.intended_us = op.sent_us = time;
      op.completed_us = -1;
      op.outcome = Outcome::timeout;
      open[process] = ops.size();
      ops.push_back(std::move(op));
      continue;
    }
    if (type != "ok" && type != "fail" && type != "info") bad(at, "unknown type '" + type + "'");
    auto it = open.find(process);
    if (it == open.end())
      bad(at, "a completion for process " + std::to_string(process) + " with no open op");
    Operation& op = ops[it->second];
    open.erase(it);
    if (call.kind != op.kind || call.key != op.key)
      bad(at, "the completion does not match its invocation");
    if (type == "info") continue;  // unknown outcome: stays a timeout
    op.outcome = type == "ok" ? Outcome::ok : Outcome::fail;
    op.completed_us = std::max(time, op.sent_us);
    if (op.kind == OpKind::read && type == "ok") op.value = value_text(call.value, at);
    if (type == "fail") {
      // Jepsen's errors are often structures ([":not-found", ...]): kept as their JSON text.
      const auto error = e.find("error");
      op.error = error == e.end()     ? "fail"
                 : error->is_string() ? error->get<std::string>()
                                      : error->dump();
    }
  }
  return ops;
}

std::vector<Operation> load_history(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw HistoryError(path.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  json history = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (history.is_discarded()) {  // maybe JSON lines: one op map per line
    history = json::array();
    std::istringstream lines(text);
    std::string line;
    std::size_t number = 0;
    while (std::getline(lines, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json op = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (op.is_discarded()) {
        throw HistoryError(path.string() + ":" + std::to_string(number) +
                           ": neither a JSON array nor JSON lines");
      }
      history.push_back(std::move(op));
    }
  }
  try {
    return from_jepsen_json(history);
  } catch (const HistoryError& e) {
    throw HistoryError(path.string() + ": " + e.what());
  }
}

}  // namespace faultline::check
