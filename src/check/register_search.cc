// Wing-and-Gong search with Porcupine's memo (see register_search.h).
//
// The memo key is the set of linearized operations plus the register value. A bitset per
// entry would cost n/8 bytes (450 MB for a 60,000-op key), so each configuration is kept as
// a 128-bit fingerprint: two independent Zobrist hashes (one random word per op XORed in
// and out, plus a word for the value), updated in O(1) per step. Two configurations share a
// fingerprint with probability about 2^-128 per pair; even a billion entries leave the
// chance of one wrong "already seen" (which could turn a valid history invalid) below 10^-20.
#include "check/register_search.h"

#include <algorithm>
#include <cstdint>
#include <unordered_set>

namespace faultline::check {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// One call or return event in the doubly linked list.
struct Event {
  Time time = 0;
  std::uint32_t op = 0;
  bool is_call = false;
  std::uint32_t prev = kNone, next = kNone;
  std::uint32_t match = kNone;  // for a call: its return event
};

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Fingerprint {
  std::uint64_t a = 0, b = 0;
  bool operator==(const Fingerprint&) const = default;
};

struct FingerprintHash {
  std::size_t operator()(const Fingerprint& f) const { return f.a; }
};

class Search {
 public:
  explicit Search(const std::vector<RegisterOp>& ops) : ops_(ops) {
    build_list();
    zobrist_.resize(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      zobrist_[i] = {splitmix(2 * i + 1), splitmix(~(2 * i + 2))};
    }
  }

  SearchResult run(std::uint64_t budget) {
    SearchResult result{SearchResult::Outcome::linearizable, 0, 0, 0};
    bool blocked_once = false;
    bool fresh = true;  // a new configuration: look for a read it can take for free
    std::uint32_t entry = head_next();
    while (head_next() != kNone) {
      if (++result.steps > budget) {
        result.outcome = SearchResult::Outcome::out_of_steps;
        return result;
      }
      if (fresh) {
        fresh = false;
        // A callable read that returns the current value can go next in some valid order if
        // any valid order exists (moving it earlier breaks no real-time constraint and
        // changes no value), so it is taken without trying alternatives.
        std::uint32_t read = matching_read();
        if (read != kNone) {
          const std::uint32_t op = events_[read].op;
          if (!remember(op, state_)) {
            if (!backtrack(entry)) return fail(result);
            continue;
          }
          push(read, state_, /*forced=*/true);
          entry = head_next();
          fresh = true;
          continue;
        }
      }
      if (entry != kNone && events_[entry].is_call) {
        const std::uint32_t op = events_[entry].op;
        std::uint32_t next_state = state_;
        if (step_model(ops_[op], next_state) && remember(op, next_state)) {
          push(entry, next_state, /*forced=*/false);
          entry = head_next();
          fresh = true;
        } else {
          entry = events_[entry].next;
        }
        continue;
      }
      // A return event: every op before it must be linearized first.
      if (!blocked_once || stack_.size() > result.deepest) {
        blocked_once = true;
        result.deepest = stack_.size();
        result.blocking_op = entry == kNone ? 0 : events_[entry].op;
      }
      if (!backtrack(entry)) return fail(result);
    }
    result.deepest = ops_.size();
    return result;
  }

 private:
  struct Frame {
    std::uint32_t entry;
    std::uint32_t state;  // the value before the op was linearized
    bool forced;          // a free read: no alternative needs trying at its level
  };

  static SearchResult fail(SearchResult& result) {
    result.outcome = SearchResult::Outcome::not_linearizable;
    return result;
  }

  void push(std::uint32_t call, std::uint32_t next_state, bool forced) {
    stack_.push_back({call, state_, forced});
    state_ = next_state;
    linearize(events_[call].op);
    lift(call);
  }

  // Undoes linearizations until one with an untried alternative; `entry` becomes the next
  // candidate to try. False when nothing is left to undo.
  bool backtrack(std::uint32_t& entry) {
    while (!stack_.empty()) {
      Frame top = stack_.back();
      stack_.pop_back();
      unlinearize(events_[top.entry].op);
      state_ = top.state;
      unlift(top.entry);
      if (!top.forced) {
        entry = events_[top.entry].next;
        return true;
      }
    }
    return false;
  }

  // A callable read (its call precedes every return still in the list) of the current value.
  std::uint32_t matching_read() const {
    for (std::uint32_t e = head_next(); e != kNone && events_[e].is_call; e = events_[e].next) {
      const RegisterOp& op = ops_[events_[e].op];
      if (!op.write && op.value == state_) return e;
    }
    return kNone;
  }

  static bool step_model(const RegisterOp& op, std::uint32_t& state) {
    if (op.write) {
      state = op.value;
      return true;
    }
    return state == op.value;
  }

  void build_list() {
    events_.reserve(2 * ops_.size() + 1);
    events_.push_back({});  // the head sentinel, index 0
    std::vector<std::uint32_t> order;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      events_.push_back({ops_[i].call, i, true});
      events_.push_back({ops_[i].ret, i, false});
    }
    for (std::uint32_t i = 1; i < events_.size(); ++i) order.push_back(i);
    // Time order; at equal times calls first (touching ops count as concurrent), then by op.
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const Event &x = events_[a], &y = events_[b];
      if (x.time != y.time) return x.time < y.time;
      if (x.is_call != y.is_call) return x.is_call;
      return x.op < y.op;
    });
    std::uint32_t prev = 0;
    for (std::uint32_t e : order) {
      events_[prev].next = e;
      events_[e].prev = prev;
      prev = e;
    }
    for (std::uint32_t i = 0; i < ops_.size(); ++i) events_[1 + 2 * i].match = 2 + 2 * i;
  }

  std::uint32_t head_next() const { return events_[0].next; }

  void remove(std::uint32_t e) {
    Event& ev = events_[e];
    events_[ev.prev].next = ev.next;
    if (ev.next != kNone) events_[ev.next].prev = ev.prev;
  }
  void restore(std::uint32_t e) {
    Event& ev = events_[e];
    events_[ev.prev].next = e;
    if (ev.next != kNone) events_[ev.next].prev = e;
  }
  void lift(std::uint32_t call) {
    remove(call);
    remove(events_[call].match);
  }
  // Undoes lift: the reverse order restores the links exactly (dancing links).
  void unlift(std::uint32_t call) {
    restore(events_[call].match);
    restore(call);
  }

  void linearize(std::uint32_t op) {
    hash_.a ^= zobrist_[op].a;
    hash_.b ^= zobrist_[op].b;
  }
  void unlinearize(std::uint32_t op) { linearize(op); }  // XOR is its own inverse

  // Records the configuration reached by linearizing `op` into `state`; false if seen.
  bool remember(std::uint32_t op, std::uint32_t state) {
    Fingerprint f{hash_.a ^ zobrist_[op].a ^ splitmix(0x5eed0000ULL + state),
                  hash_.b ^ zobrist_[op].b ^ splitmix(~(0x5eed0000ULL + state))};
    return memo_.insert(f).second;
  }

  const std::vector<RegisterOp>& ops_;
  std::vector<Event> events_;
  std::vector<Fingerprint> zobrist_;
  std::vector<Frame> stack_;
  std::unordered_set<Fingerprint, FingerprintHash> memo_;
  Fingerprint hash_;
  std::uint32_t state_ = 0;
};

}  // namespace

SearchResult search_register(const std::vector<RegisterOp>& ops, std::uint64_t budget) {
  return Search(ops).run(budget);
}

}  // namespace faultline::check
