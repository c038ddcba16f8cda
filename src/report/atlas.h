// The atlas: what every profile does in every partial-connectivity topology of a small
// cluster. `faultline explore --out DIR` writes DIR/atlas.json in this format and
// `faultline report DIR` draws it. The format (version 1):
//
//   {
//     "format": "faultline-atlas/1",           // optional; other values are refused
//     "nodes": 3,                              // node ids are 1..nodes
//     "profiles": ["raft", "etcd-3.4"],        // column order of the grid
//     "seeds": 5,                              // runs per (topology, profile)
//     "topologies": [{
//        "id": "t07",                          // unique, shown under the drawing
//        "cut_links": [[1, 3], [3, 1]],        // directed: packets from 1 to 3 are dropped
//        "leader": 3,                          // leader when the cut began (0 or absent: none)
//        "lagging": 1,                         // a node whose log is behind (0/absent: none)
//        "quorum_connected": [2],              // nodes linked both ways to a majority
//                                              // (or a bool: whether any node is)
//        "results": {"raft": {"verdict": "livelock",   // stable|disrupted|livelock|deadlock
//                             "downtime_ms": 1234.5,   // optional: mean write downtime
//                             "elections": 12.0,       // optional: mean elections
//                             "verdicts": {"livelock": 4, "disrupted": 1}}}  // optional
//     }],
//     "coverage": {"raft": 0.82}               // optional: share of topologies in which the
//   }                                          // profile made progress, 0..1
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/figures.h"

namespace faultline::report {

struct AtlasResult {
  std::string verdict;
  std::optional<double> downtime_ms;
  std::optional<double> elections;
  std::map<std::string, int> verdicts;  // verdict -> number of seeds that gave it
};

struct AtlasTopology {
  std::string id;
  std::vector<std::pair<int, int>> cut_links;  // directed (from, to)
  int leader = 0;                              // 0: none
  int lagging = 0;                             // 0: none
  std::vector<int> quorum_connected;           // nodes that are quorum-connected
  std::optional<bool> any_quorum_connected;    // when the file gave a bool instead
  std::map<std::string, AtlasResult> results;  // profile -> result
};

struct Atlas {
  int nodes = 0;
  std::vector<std::string> profiles;
  int seeds = 0;
  std::vector<AtlasTopology> topologies;
  std::map<std::string, double> coverage;
};

inline constexpr std::string_view kAtlasFile = "atlas.json";
// Bounds that keep a hostile or broken file from producing an unbounded page.
inline constexpr int kAtlasMaxNodes = 9;
inline constexpr std::size_t kAtlasMaxTopologies = 5000;
inline constexpr std::size_t kAtlasMaxProfiles = 16;

// Reads DIR/atlas.json (or the file itself); throws ReportError naming the file, the field
// and the problem.
Atlas load_atlas(const std::filesystem::path& path);

// The coverage bars (one per profile) and the grid of topologies.
Figure atlas_coverage_figure(const Atlas& atlas);
Figure atlas_grid_figure(const Atlas& atlas);

}  // namespace faultline::report
