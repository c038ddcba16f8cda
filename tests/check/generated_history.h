// Large register histories made by a model of a correct (linearizable) store, for testing
// the checker at the scale of a real run: an open-loop client at a fixed rate over several
// keys, each op taking effect at one instant inside its interval, with stalls (an election:
// every op waits for the new leader) and unknown outcomes (some took effect, some not).
#pragma once

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "record/run_record.h"

namespace faultline::check::testing {

struct GeneratedHistory {
  std::vector<record::Operation> ops;
  std::vector<record::Micros> effect_us;  // when each op took effect (-1: never)
};

inline GeneratedHistory generate_linearizable_history(int seconds, int ops_per_second, int keys,
                                                      std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pick_key(0, keys - 1);
  std::uniform_int_distribution<int> jitter_us(50, 4000);
  std::uniform_real_distribution<double> coin(0, 1);
  GeneratedHistory g;
  const int total = seconds * ops_per_second;
  const record::Micros step = 1'000'000 / ops_per_second;
  for (int i = 0; i < total; ++i) {
    record::Operation op;
    op.id = static_cast<std::uint64_t>(i) + 1;
    op.client = static_cast<std::uint32_t>(i % 3);
    op.kind = coin(rng) < 0.5 ? record::OpKind::write : record::OpKind::read;
    op.key = "k" + std::to_string(pick_key(rng));
    op.intended_us = op.sent_us = i * step;
    record::Micros effect = op.sent_us + jitter_us(rng);
    // An election every 10 s: for 700 ms nothing takes effect; the ops wait for the leader.
    record::Micros phase = op.sent_us % 10'000'000;
    if (phase >= 5'000'000 && phase < 5'700'000)
      effect = op.sent_us - phase + 5'700'000 + jitter_us(rng);
    op.completed_us = effect + jitter_us(rng);
    op.outcome = record::Outcome::ok;
    if (op.completed_us - op.sent_us > 500'000 || coin(rng) < 0.01) {
      // The client gave up; half of these took effect anyway.
      op.outcome = record::Outcome::timeout;
      op.completed_us = -1;
      if (coin(rng) < 0.5) effect = -1;
    }
    if (op.kind == record::OpKind::write) op.value = std::to_string(op.id);
    g.ops.push_back(op);
    g.effect_us.push_back(effect);
  }
  // Replay the effects in order to give every read the value it would have seen.
  std::vector<std::size_t> order(g.ops.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return g.effect_us[a] < g.effect_us[b]; });
  std::map<std::string, std::string> state;
  for (std::size_t i : order) {
    if (g.effect_us[i] < 0) continue;
    record::Operation& op = g.ops[i];
    if (op.kind == record::OpKind::write) {
      state[op.key] = op.value;
    } else {
      op.value = state[op.key];
    }
  }
  return g;
}

}  // namespace faultline::check::testing
