// The linearizability checker (see linearizability.h and docs/linearizability.md): split the
// history by key, drop what cannot matter, search each key's register history, and turn a
// failed search into a witness a person can read.
#include "check/linearizability.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "check/register_search.h"
#include "check/register_zones.h"

namespace faultline::check {
namespace {

using record::Operation;
using record::OpKind;
using record::Outcome;

// Witness windows list at most this many operations.
constexpr std::size_t kWindowLimit = 24;

struct KeyHistory {
  std::string key;
  std::vector<RegisterOp> ops;           // sorted by call time
  std::vector<const Operation*> source;  // source[i] produced ops[i]
  std::vector<std::string> values;       // interned values; values[0] == "" (absent)
};

std::string show_value(const std::string& v) {
  if (v.empty()) return "absent";
  std::string shown = v.size() > 40 ? v.substr(0, 40) + "..." : v;
  return "'" + shown + "'";
}

std::string show_ms(record::Micros us) {
  if (us == kNever || us < 0) return "never";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(us) / 1000.0);
  return buf;
}

std::string show_op(const Operation& op) {
  std::string s = "#" + std::to_string(op.id) + " " + std::string(record::to_string(op.kind)) +
                  " " + show_value(op.value) + " (" + std::string(record::to_string(op.outcome)) +
                  ", sent " + show_ms(op.sent_us);
  if (op.outcome != Outcome::timeout) s += ", answered " + show_ms(op.completed_us);
  return s + ")";
}

// Groups the ops by key and keeps those that can matter: failed ops certainly had no
// effect; a read without an answer tells nothing; an unknown-outcome write whose value no
// read returned can always be placed after everything else, so it changes no verdict; and a
// key without a successful read is trivially linearizable (any order of writes will do).
std::vector<KeyHistory> split_by_key(const std::vector<Operation>& ops) {
  std::unordered_map<std::string_view, std::vector<const Operation*>> by_key;
  for (const Operation& op : ops) {
    if (op.kind == OpKind::read && op.outcome == Outcome::ok) by_key[op.key];
  }
  for (const Operation& op : ops) {
    auto it = by_key.find(op.key);
    if (it != by_key.end()) it->second.push_back(&op);
  }
  std::vector<KeyHistory> keys;
  keys.reserve(by_key.size());
  for (auto& [key, list] : by_key) {
    std::unordered_set<std::string_view> read_values;
    for (const Operation* op : list) {
      if (op->kind == OpKind::read && op->outcome == Outcome::ok) read_values.insert(op->value);
    }
    KeyHistory h;
    h.key = std::string(key);
    std::unordered_map<std::string_view, std::uint32_t> intern = {{"", 0}};
    h.values.push_back("");
    std::vector<std::pair<RegisterOp, const Operation*>> kept;
    kept.reserve(list.size());
    for (const Operation* op : list) {
      if (op->outcome == Outcome::fail) continue;
      bool write = op->kind == OpKind::write;
      if (!write && op->outcome != Outcome::ok) continue;
      if (write && op->outcome == Outcome::timeout && !read_values.count(op->value)) continue;
      auto [it, added] = intern.emplace(op->value, static_cast<std::uint32_t>(h.values.size()));
      if (added) h.values.push_back(op->value);
      Time ret = op->outcome == Outcome::ok ? op->completed_us : kNever;
      kept.push_back({RegisterOp{op->sent_us, ret, write, it->second}, op});
    }
    std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
      if (a.first.call != b.first.call) return a.first.call < b.first.call;
      return a.second->id < b.second->id;
    });
    for (auto& [rop, src] : kept) {
      h.ops.push_back(rop);
      h.source.push_back(src);
    }
    keys.push_back(std::move(h));
  }
  // Small keys first (a contradiction there is found before a big key spends the budget),
  // then by name, so the order never depends on hashing.
  std::sort(keys.begin(), keys.end(), [](const KeyHistory& a, const KeyHistory& b) {
    if (a.ops.size() != b.ops.size()) return a.ops.size() < b.ops.size();
    return a.key < b.key;
  });
  return keys;
}

// The ops that show why op `f` cannot be placed: those overlapping it in time, the last
// write that completed before it was sent, and (for a read) the writes of the value it read.
std::vector<std::size_t> window_around(const KeyHistory& h, std::size_t f) {
  const RegisterOp& F = h.ops[f];
  std::set<std::size_t> chosen = {f};
  std::size_t last_write = h.ops.size();
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    const RegisterOp& o = h.ops[i];
    if (o.call <= F.ret && o.ret >= F.call) chosen.insert(i);
    if (o.write && o.ret < F.call &&
        (last_write == h.ops.size() || o.ret > h.ops[last_write].ret)) {
      last_write = i;
    }
  }
  if (last_write != h.ops.size()) chosen.insert(last_write);
  if (!F.write) {
    std::vector<std::size_t> writers;
    for (std::size_t i = 0; i < h.ops.size(); ++i) {
      if (h.ops[i].write && h.ops[i].value == F.value) writers.push_back(i);
    }
    for (std::size_t k = writers.size() > 2 ? writers.size() - 2 : 0; k < writers.size(); ++k) {
      chosen.insert(writers[k]);
    }
  }
  std::vector<std::size_t> window(chosen.begin(), chosen.end());
  if (window.size() > kWindowLimit) {  // keep those closest to f in call time
    std::stable_sort(window.begin(), window.end(), [&](std::size_t a, std::size_t b) {
      auto dist = [&](std::size_t i) {
        return i == f ? Time{-1} : std::max(h.ops[i].call - F.call, F.call - h.ops[i].call);
      };
      return dist(a) < dist(b);
    });
    window.resize(kWindowLimit);
    std::sort(window.begin(), window.end());
  }
  return window;
}

Witness make_witness(const KeyHistory& h, std::size_t f, std::size_t deepest, const char* why) {
  Witness w;
  w.key = h.key;
  w.failing_op = h.source[f]->id;
  w.linearized_prefix = deepest;
  for (std::size_t i : window_around(h, f)) w.window.push_back(h.source[i]->id);
  const Operation& op = *h.source[f];
  w.explanation = "key '" + h.key + "': " + why + " " + show_op(op);
  return w;
}

Witness make_zone_witness(const KeyHistory& h, const ZoneResult& z) {
  Witness w;
  w.key = h.key;
  w.failing_op = h.source[z.failing_op]->id;
  std::vector<std::size_t> window = z.evidence;
  if (std::find(window.begin(), window.end(), z.failing_op) == window.end()) {
    window.push_back(z.failing_op);
  }
  std::sort(window.begin(), window.end());  // op indices are in invocation order
  for (std::size_t i : window) w.window.push_back(h.source[i]->id);
  w.explanation = "key '" + h.key + "': " + z.why + "; the last evidence is " +
                  show_op(*h.source[z.failing_op]);
  return w;
}

std::string witness_text(const Witness& w, const KeyHistory& h) {
  std::string text = w.explanation + "; the operations around it:";
  for (std::uint64_t id : w.window) {
    for (const Operation* op : h.source) {
      if (op->id == id) {
        text += "\n  " + show_op(*op);
        break;
      }
    }
  }
  return text;
}

// A read that returns a value no possibly-effective write wrote needs no search.
std::optional<std::size_t> read_of_unwritten_value(const KeyHistory& h) {
  std::vector<bool> written(h.values.size(), false);
  written[0] = true;
  for (const RegisterOp& o : h.ops) {
    if (o.write) written[o.value] = true;
  }
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    if (!h.ops[i].write && !written[h.ops[i].value]) return i;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::valid:
      return "valid";
    case Verdict::invalid:
      return "invalid";
    case Verdict::unknown:
      return "unknown";
  }
  return "unknown";
}

CheckResult check_history(const std::vector<Operation>& ops, const CheckOptions& options) {
  CheckResult result;
  for (const Operation& op : ops) {
    if (op.outcome == Outcome::ok && (op.completed_us < 0 || op.completed_us < op.sent_us)) {
      result.verdict = Verdict::unknown;
      result.detail = "operation #" + std::to_string(op.id) +
                      " is ok but was answered before it was sent (" + show_ms(op.completed_us) +
                      " < " + show_ms(op.sent_us) + "): the history is malformed";
      return result;
    }
  }
  std::vector<KeyHistory> keys = split_by_key(ops);
  result.keys = keys.size();
  for (const KeyHistory& h : keys) {
    result.ops_checked += h.ops.size();
    for (const RegisterOp& o : h.ops) result.reads_checked += o.write ? 0 : 1;
  }
  for (const KeyHistory& h : keys) {
    if (std::optional<std::size_t> bad = read_of_unwritten_value(h)) {
      result.verdict = Verdict::invalid;
      result.witness =
          make_witness(h, *bad, 0, "no write that may have taken effect wrote the value of read");
      result.detail = witness_text(result.witness, h);
      return result;
    }
  }
  for (const KeyHistory& h : keys) {
    if (options.engine == Engine::automatic) {
      if (std::optional<ZoneResult> z = check_zones(h.ops)) {
        result.steps += h.ops.size();
        if (z->linearizable) continue;
        result.verdict = Verdict::invalid;
        result.witness = make_zone_witness(h, *z);
        result.detail = witness_text(result.witness, h);
        return result;
      }
    }
    std::uint64_t left = options.step_budget - std::min(options.step_budget, result.steps);
    SearchResult s = search_register(h.ops, left);
    result.steps += s.steps;
    if (s.outcome == SearchResult::Outcome::out_of_steps) {
      result.verdict = Verdict::unknown;
      result.detail = "the step budget (" + std::to_string(options.step_budget) +
                      ") ran out while checking key '" + h.key + "' (" +
                      std::to_string(h.ops.size()) + " operations)";
      return result;
    }
    if (s.outcome == SearchResult::Outcome::not_linearizable) {
      result.verdict = Verdict::invalid;
      result.witness = make_witness(h, s.blocking_op, s.deepest,
                                    "every order of the operations before it fails at");
      result.detail = witness_text(result.witness, h);
      return result;
    }
  }
  result.verdict = Verdict::valid;
  if (result.reads_checked == 0) {
    result.detail = "valid: no successful read, and writes alone can always be ordered";
    return result;
  }
  result.detail = "linearizable: " + std::to_string(result.keys) + " key(s), " +
                  std::to_string(result.ops_checked) + " operations checked (" +
                  std::to_string(result.reads_checked) + " reads), " +
                  std::to_string(result.steps) + " steps";
  return result;
}

}  // namespace faultline::check
