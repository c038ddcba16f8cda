// The atlas's topologies: every way of cutting links (both directions) in a small cluster,
// up to isomorphism, with every distinct position of the leader and of a lagging node.
// Pure combinatorics, no simulation: `faultline explore` (atlas.h) runs each case.
//
// A case is (cut graph G, leader vertex L, lagging vertex A or none). Two cases are the
// same when a relabelling of the nodes maps one onto the other: G onto G, L onto L, A onto
// A. So each graph class is listed once (its canonical labelling: the smallest cut mask
// among its relabellings), leader positions are the orbits of G's automorphism group on
// the vertices, and lagging positions are the orbits of the leader's stabiliser on the
// remaining vertices. Vertices are 0-based here; the atlas file shows them as ids 1..n.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace faultline::sim {

// Enumeration tries every relabelling of every graph: n! * 2^(n(n-1)/2) steps, so small
// clusters only (5 nodes: 120 * 1024).
inline constexpr int kTopologyMinNodes = 2;
inline constexpr int kTopologyMaxNodes = 5;

struct TopologyCase {
  int nodes = 0;
  int graph = 0;               // index of the graph class (0: nothing cut), in enumeration order
  std::uint32_t cut_mask = 0;  // bit k: the k-th pair of edge_pairs() is cut
  std::vector<std::pair<int, int>> cut_edges;  // undirected, a < b, vertices 0..n-1
  int leader = 0;                              // vertex that leads when the cut begins
  int lagging = -1;                            // vertex whose log is behind (-1: none)
  std::vector<int> quorum_connected;           // vertices linked to a majority (self included)
  std::string id;  // "t<graph>-<leader>" and "+a<lagging>", ids 1-based: "t03-1+a2"
};

// The pairs (a, b), a < b, in the order bit k of a cut mask refers to.
std::vector<std::pair<int, int>> edge_pairs(int nodes);

// Vertices that are still linked (not cut) to a majority of the cluster, themselves
// included: the nodes that could in principle lead (Omni-Paxos' quorum-connected servers).
std::vector<int> quorum_connected(int nodes, std::uint32_t cut_mask);

// The canonical cut mask of the class of `cut_mask`: the smallest mask any relabelling of
// the nodes gives. Two graphs are isomorphic exactly when their canonical masks are equal.
std::uint32_t canonical_mask(int nodes, std::uint32_t cut_mask);

// Every case for a cluster of `nodes` (kTopologyMinNodes..kTopologyMaxNodes), ordered by
// number of cut links, graph, leader, then lagging (none first). Throws
// std::invalid_argument for a size outside the range.
std::vector<TopologyCase> enumerate_topologies(int nodes);

}  // namespace faultline::sim
