// Enumerating the atlas's cases by brute force over relabellings: see topology.h.
#include "sim/topology.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace faultline::sim {
namespace {

using Permutation = std::vector<int>;

// Relabels cut masks: edge (a, b) becomes edge (p[a], p[b]).
class Relabeller {
 public:
  explicit Relabeller(int nodes) : nodes_(nodes), pairs_(edge_pairs(nodes)) {
    index_.assign(static_cast<std::size_t>(nodes * nodes), 0);
    for (std::size_t k = 0; k < pairs_.size(); ++k) {
      auto [a, b] = pairs_[k];
      index_[static_cast<std::size_t>(a * nodes + b)] = static_cast<int>(k);
      index_[static_cast<std::size_t>(b * nodes + a)] = static_cast<int>(k);
    }
    Permutation p(static_cast<std::size_t>(nodes));
    std::iota(p.begin(), p.end(), 0);
    do perms_.push_back(p);
    while (std::next_permutation(p.begin(), p.end()));
  }

  std::uint32_t apply(const Permutation& p, std::uint32_t mask) const {
    std::uint32_t out = 0;
    for (std::size_t k = 0; k < pairs_.size(); ++k) {
      if (!(mask >> k & 1u)) continue;
      auto [a, b] = pairs_[k];
      out |= 1u << index_[static_cast<std::size_t>(p[static_cast<std::size_t>(a)] * nodes_ +
                                                   p[static_cast<std::size_t>(b)])];
    }
    return out;
  }

  const std::vector<Permutation>& perms() const { return perms_; }
  const std::vector<std::pair<int, int>>& pairs() const { return pairs_; }

 private:
  int nodes_;
  std::vector<std::pair<int, int>> pairs_;
  std::vector<int> index_;
  std::vector<Permutation> perms_;
};

void check_size(int nodes) {
  if (nodes < kTopologyMinNodes || nodes > kTopologyMaxNodes)
    throw std::invalid_argument("topologies: a cluster of " + std::to_string(nodes) +
                                " nodes is outside " + std::to_string(kTopologyMinNodes) + ".." +
                                std::to_string(kTopologyMaxNodes));
}

// "t03-1": graph 3, leader at node 1 (snprintf: GCC 12 at -O3 warns falsely on string +).
std::string case_id(int graph, int leader) {
  char id[32];
  std::snprintf(id, sizeof id, "t%02d-%d", graph + 1, leader + 1);
  return id;
}

}  // namespace

std::vector<std::pair<int, int>> edge_pairs(int nodes) {
  std::vector<std::pair<int, int>> pairs;
  for (int a = 0; a < nodes; ++a)
    for (int b = a + 1; b < nodes; ++b) pairs.emplace_back(a, b);
  return pairs;
}

std::vector<int> quorum_connected(int nodes, std::uint32_t cut_mask) {
  const auto pairs = edge_pairs(nodes);
  std::vector<int> linked(static_cast<std::size_t>(nodes), 1);  // itself
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    if (cut_mask >> k & 1u) continue;
    ++linked[static_cast<std::size_t>(pairs[k].first)];
    ++linked[static_cast<std::size_t>(pairs[k].second)];
  }
  std::vector<int> out;
  for (int v = 0; v < nodes; ++v)
    if (linked[static_cast<std::size_t>(v)] >= nodes / 2 + 1) out.push_back(v);
  return out;
}

std::uint32_t canonical_mask(int nodes, std::uint32_t cut_mask) {
  check_size(nodes);
  const Relabeller relabel(nodes);
  std::uint32_t best = cut_mask;
  for (const auto& p : relabel.perms()) best = std::min(best, relabel.apply(p, cut_mask));
  return best;
}

std::vector<TopologyCase> enumerate_topologies(int nodes) {
  check_size(nodes);
  const Relabeller relabel(nodes);
  const std::uint32_t masks = 1u << relabel.pairs().size();

  // One representative per class: the masks that are their own canonical form. Ordered by
  // the number of cut links, then by mask, so the atlas reads from "nothing cut" upwards.
  std::vector<std::uint32_t> classes;
  for (std::uint32_t m = 0; m < masks; ++m) {
    bool smallest = true;
    for (const auto& p : relabel.perms())
      if (relabel.apply(p, m) < m) {
        smallest = false;
        break;
      }
    if (smallest) classes.push_back(m);
  }
  std::stable_sort(classes.begin(), classes.end(), [](std::uint32_t a, std::uint32_t b) {
    return std::popcount(a) < std::popcount(b);
  });

  std::vector<TopologyCase> cases;
  for (std::size_t g = 0; g < classes.size(); ++g) {
    const std::uint32_t mask = classes[g];
    std::vector<const Permutation*> automorphisms;
    for (const auto& p : relabel.perms())
      if (relabel.apply(p, mask) == mask) automorphisms.push_back(&p);
    // A vertex stands for its orbit when no automorphism (fixing `fixed`, if any) maps it
    // to a smaller vertex.
    auto represents = [&](int v, int fixed) {
      for (const Permutation* p : automorphisms) {
        if (fixed >= 0 && (*p)[static_cast<std::size_t>(fixed)] != fixed) continue;
        if ((*p)[static_cast<std::size_t>(v)] < v) return false;
      }
      return true;
    };
    TopologyCase base;
    base.nodes = nodes;
    base.graph = static_cast<int>(g);
    base.cut_mask = mask;
    for (std::size_t k = 0; k < relabel.pairs().size(); ++k)
      if (mask >> k & 1u) base.cut_edges.push_back(relabel.pairs()[k]);
    base.quorum_connected = quorum_connected(nodes, mask);
    for (int leader = 0; leader < nodes; ++leader) {
      if (!represents(leader, -1)) continue;
      TopologyCase c = base;
      c.leader = leader;
      c.id = case_id(static_cast<int>(g), leader);
      cases.push_back(c);
      for (int lagging = 0; lagging < nodes; ++lagging) {
        if (lagging == leader || !represents(lagging, leader)) continue;
        TopologyCase l = c;
        l.lagging = lagging;
        l.id += "+a";
        l.id += std::to_string(lagging + 1);
        cases.push_back(l);
      }
    }
  }
  return cases;
}

}  // namespace faultline::sim
