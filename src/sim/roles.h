// Role resolution as a pure function: which node ids a scenario's NodeRef and LinkShape
// name, given who leads at the moment a fault fires. The one definition of the rules: the
// simulator (sim_faults.cc) and the lab (the leader read from its latest node samples) both
// call it, so a scenario names the same nodes in both. Followers are the non-leaders
// ordered by id, node[k] is id k; an unresolvable name is noted as "unresolved".
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario.h"

namespace faultline::sim {

// A directed link between node ids (1-based).
using IdLink = std::pair<int, int>;

// The id (1..n) that `ref` names, or nullopt (a role with no leader, an id out of range).
inline std::optional<int> resolve_node_ref(const NodeRef& ref, std::optional<int> leader, int n) {
  switch (ref.kind) {
    case NodeRef::Kind::leader:
      return leader;
    case NodeRef::Kind::follower: {
      if (!leader) return std::nullopt;
      int seen = 0;
      for (int id = 1; id <= n; ++id) {
        if (id == *leader) continue;
        if (seen++ == ref.index) return id;
      }
      return std::nullopt;
    }
    case NodeRef::Kind::node:
      if (ref.index >= 1 && ref.index <= n) return ref.index;
      return std::nullopt;
  }
  return std::nullopt;
}

// Appends "<ref>=node <id>; " (or "unresolved") to `detail`, as the simulator records it.
inline std::optional<int> resolve_and_note(const NodeRef& ref, std::optional<int> leader, int n,
                                           std::string& detail) {
  auto id = resolve_node_ref(ref, leader, n);
  detail += ref.text + (id ? "=node " + std::to_string(*id) : "=unresolved (no leader)") + "; ";
  return id;
}

// The directed links (ids 1..n, no duplicates, no self-links) that `shapes` name.
inline std::vector<IdLink> resolve_link_shapes(const std::vector<LinkShape>& shapes,
                                               std::optional<int> leader, int n,
                                               std::string& detail) {
  std::vector<IdLink> links;
  auto add = [&](int a, int b) {
    if (a != b && std::find(links.begin(), links.end(), IdLink{a, b}) == links.end())
      links.emplace_back(a, b);
  };
  for (const auto& shape : shapes) {
    switch (shape.kind) {
      case LinkShape::Kind::cut:
      case LinkShape::Kind::one_way: {
        auto a = resolve_and_note(shape.nodes[0], leader, n, detail);
        auto b = resolve_and_note(shape.nodes[1], leader, n, detail);
        if (!a || !b) break;
        add(*a, *b);
        if (shape.kind == LinkShape::Kind::cut) add(*b, *a);
        break;
      }
      case LinkShape::Kind::isolate: {
        auto x = resolve_and_note(shape.nodes[0], leader, n, detail);
        if (!x) break;
        for (int j = 1; j <= n; ++j) {
          add(*x, j);
          add(j, *x);
        }
        break;
      }
      case LinkShape::Kind::bridge: {
        auto x = resolve_and_note(shape.nodes[0], leader, n, detail);
        if (!x) break;
        for (int a = 1; a <= n; ++a)
          for (int b = 1; b <= n; ++b)
            if (a != *x && b != *x) add(a, b);
        break;
      }
      case LinkShape::Kind::partition: {
        std::vector<int> group(static_cast<std::size_t>(n) + 1, -1);
        for (std::size_t g = 0; g < shape.groups.size(); ++g)
          for (const auto& ref : shape.groups[g])
            if (auto id = resolve_and_note(ref, leader, n, detail);
                id && group[static_cast<std::size_t>(*id)] < 0)
              group[static_cast<std::size_t>(*id)] = static_cast<int>(g);
        for (int a = 1; a <= n; ++a)
          for (int b = 1; b <= n; ++b) {
            int ga = group[static_cast<std::size_t>(a)], gb = group[static_cast<std::size_t>(b)];
            if (ga >= 0 && gb >= 0 && ga != gb) add(a, b);
          }
        break;
      }
    }
  }
  return links;
}

// The node ids (1..n, no duplicates) that `refs` name.
inline std::vector<int> resolve_node_refs(const std::vector<NodeRef>& refs,
                                          std::optional<int> leader, int n, std::string& detail) {
  std::vector<int> out;
  for (const auto& ref : refs) {
    auto id = resolve_and_note(ref, leader, n, detail);
    if (id && std::find(out.begin(), out.end(), *id) == out.end()) out.push_back(*id);
  }
  return out;
}

}  // namespace faultline::sim
