// Gibbons-Korach zones for a register with unique written values (see register_zones.h).
//
// Cluster of value v: the write of v and every read returning v (for v = absent, the reads
// of absent and a virtual write at the beginning of time). In a linearization the cluster's
// ops are contiguous, because no other write can come between a value's write and its reads
// (that value would then never return). For cluster C let min_ret = the earliest return and
// max_call = the latest call of its ops. If min_ret < max_call, some op of C finished before
// another started, so C's block must cover [min_ret, max_call]: a forward zone. Otherwise all
// of C's ops are in flight together at any point of [max_call, min_ret]: a backward zone,
// which can shrink to one point. Touching endpoints are concurrent (equal times overlap).
#include "check/register_zones.h"

#include <algorithm>
#include <limits>

namespace faultline::check {
namespace {

constexpr Time kBeginning = std::numeric_limits<Time>::min();
constexpr std::size_t kVirtual = std::numeric_limits<std::size_t>::max();

struct Cluster {
  std::size_t write = kVirtual;  // the op that wrote the value (kVirtual: the initial value)
  Time min_ret = std::numeric_limits<Time>::max();
  Time max_call = kBeginning;
  std::size_t min_ret_op = kVirtual, max_call_op = kVirtual;
  bool has_ops = false;

  bool forward() const { return min_ret < max_call; }
};

void add_evidence(std::vector<std::size_t>& out, const Cluster& c) {
  for (std::size_t op : {c.write, c.min_ret_op, c.max_call_op}) {
    if (op != kVirtual && std::find(out.begin(), out.end(), op) == out.end()) out.push_back(op);
  }
}

}  // namespace

std::optional<ZoneResult> check_zones(const std::vector<RegisterOp>& ops) {
  std::uint32_t values = 1;
  for (const RegisterOp& op : ops) values = std::max(values, op.value + 1);
  std::vector<Cluster> clusters(values);
  clusters[0].min_ret = kBeginning;  // the virtual initial write finished before everything
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!ops[i].write) continue;
    if (ops[i].value == 0 || clusters[ops[i].value].write != kVirtual) return std::nullopt;
    clusters[ops[i].value].write = i;
  }

  ZoneResult result;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const RegisterOp& op = ops[i];
    Cluster& c = clusters[op.value];
    if (!op.write && op.value != 0) {
      if (c.write == kVirtual) {
        return ZoneResult{false, i, {i}, "it returned a value that no write wrote"};
      }
      if (op.ret < ops[c.write].call) {
        return ZoneResult{
            false, i, {c.write, i}, "it finished before the write of its value began"};
      }
    }
    c.has_ops = true;
    if (op.ret < c.min_ret) {
      c.min_ret = op.ret;
      c.min_ret_op = i;
    }
    if (op.call > c.max_call) {
      c.max_call = op.call;
      c.max_call_op = i;
    }
  }

  std::vector<const Cluster*> forward, backward;
  for (const Cluster& c : clusters) {
    if (!c.has_ops) continue;
    (c.forward() ? forward : backward).push_back(&c);
  }
  std::sort(forward.begin(), forward.end(),
            [](const Cluster* a, const Cluster* b) { return a->min_ret < b->min_ret; });

  // (2) Forward zones must not overlap. Blame the later-starting op of the pair: it is the
  // last piece of evidence that made the contradiction.
  const Cluster* reach = nullptr;  // the forward zone reaching furthest so far
  for (const Cluster* f : forward) {
    if (reach != nullptr && f->min_ret < reach->max_call) {
      const Cluster* later = f->max_call > reach->max_call ? f : reach;
      result.linearizable = false;
      result.failing_op = later->max_call_op;
      add_evidence(result.evidence, *reach);
      add_evidence(result.evidence, *f);
      result.why =
          "two values were each observed across a stretch of time, and the stretches overlap";
      return result;
    }
    if (reach == nullptr || f->max_call > reach->max_call) reach = f;
  }

  // (3) No backward zone strictly inside a forward zone. Forward zones are now disjoint and
  // sorted, so only the last one starting before the backward zone can contain it.
  for (const Cluster* b : backward) {
    auto it = std::partition_point(forward.begin(), forward.end(),
                                   [&](const Cluster* f) { return f->min_ret < b->max_call; });
    if (it == forward.begin()) continue;
    const Cluster* f = *(it - 1);
    if (b->max_call > f->min_ret && b->min_ret < f->max_call) {
      result.linearizable = false;
      result.failing_op = f->max_call_op;
      add_evidence(result.evidence, *f);
      add_evidence(result.evidence, *b);
      result.why = "a value was still observed after another write had certainly replaced it";
      return result;
    }
  }
  return result;
}

}  // namespace faultline::check
