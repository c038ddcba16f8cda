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
//                             "verdicts": {"livelock": 4, "disrupted": 1},  // optional
//                             "lab": [{                // optional: one object per lab run of
//                               "verdict": "disrupted",   // this case and profile (at most
//                               "downtime_ms": 1432.5,    // 100); verdict as above, the
//                               "elections": 1,           // numbers optional
//                               "agreement": "agrees",    // see below
//                               "record": "lab/seed-1/atlas-t07/raft"}]}}  // optional
//     }],
//     "coverage": {"raft": 0.82},              // optional: share of topologies in which the
//                                              // profile made progress, 0..1
//     "lab": {                                 // optional: what the lab runs ran on
//       "system": "etcd", "system_version": "3.4.23",  // ("faultline", "faultline" for ours)
//       "net": "namespaces",                   // how the cuts were made
//       "seeds": 1,                            // lab runs per (topology, profile)
//       "profiles": {"raft": {"agreement": {"agrees": 13, "in range": 1},
//                             "model_live": 12, "lab_live": 12,   // cases live in each, of
//                             "quorum_connected_cases": 12}}}     // those with a quorum-
//   }                                          // connected node; every key optional
//
// `faultline explore --lab` adds the "lab" keys; files without them are plain model atlases.
// A lab run's agreement: "agrees" (the lab gave the model's majority verdict), "in range" (a
// verdict some of the model's seeds gave), "DIFFERS" (one no seed gave), or the safety check
// the lab run failed ("NODE EXIT", "STORES DIFFER"). Anything but the first two counts as
// differing, so a label added later is never mistaken for agreement.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/figures.h"

namespace faultline::report {

// One run of a topology's case on a real cluster, beside the model's result.
struct AtlasLabRun {
  std::string verdict;  // stable|disrupted|livelock|deadlock (checked on load)
  std::optional<double> downtime_ms;
  std::optional<double> elections;
  std::string agreement;  // "agrees", "in range", "DIFFERS", "NODE EXIT", "STORES DIFFER"
  std::string record;     // the run's record folder, relative to the atlas ("" if not given)
};

// Whether a lab run's agreement counts against the model (see the format above).
inline bool lab_run_differs(std::string_view agreement) {
  return agreement != "agrees" && agreement != "in range";
}

struct AtlasResult {
  std::string verdict;  // stable|disrupted|livelock|deadlock (checked on load)
  std::optional<double> downtime_ms;
  std::optional<double> elections;
  std::map<std::string, int> verdicts;  // verdict -> number of seeds that gave it
  std::vector<AtlasLabRun> lab;         // empty: not run in the lab
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

// The explorer's own summary of one profile's lab runs; every field is optional.
struct AtlasLabProfile {
  std::map<std::string, int> agreement;  // agreement -> lab runs that gave it
  std::optional<int> model_live;         // quorum-connected cases the model kept live
  std::optional<int> lab_live;           // ... and the lab kept live
  std::optional<int> quorum_connected_cases;
};

// What the lab runs ran on; every field is optional ("" or absent: not given).
struct AtlasLab {
  std::string system;          // "etcd", "faultline"
  std::string system_version;  // "3.4.23"; "faultline" for faultline itself
  std::string net;             // "namespaces", "loopback"
  std::optional<int> seeds;
  std::map<std::string, AtlasLabProfile> profiles;
};

struct Atlas {
  int nodes = 0;
  std::vector<std::string> profiles;
  int seeds = 0;
  std::vector<AtlasTopology> topologies;
  std::map<std::string, double> coverage;
  std::optional<AtlasLab> lab;
};

inline constexpr std::string_view kAtlasFile = "atlas.json";
// Bounds that keep a hostile or broken file from producing an unbounded page.
inline constexpr int kAtlasMaxNodes = 9;
inline constexpr std::size_t kAtlasMaxTopologies = 5000;
inline constexpr std::size_t kAtlasMaxProfiles = 16;
inline constexpr std::size_t kAtlasMaxLabRuns = 100;  // per (topology, profile)

// Reads DIR/atlas.json (or the file itself); throws ReportError naming the file, the field
// and the problem.
Atlas load_atlas(const std::filesystem::path& path);

// Whether any topology has lab runs: the grid then draws the lab beside the model and the
// page gets its "Model against the lab" section.
bool has_lab_runs(const Atlas& atlas);

// How the lab's system is named: "etcd 3.4.23", "faultline" (a version equal to the
// system's name is not repeated), "" when the file does not say.
std::string lab_system_name(const Atlas& atlas);

// The coverage bars (one per profile) and the grid of topologies.
Figure atlas_coverage_figure(const Atlas& atlas);
Figure atlas_grid_figure(const Atlas& atlas);

}  // namespace faultline::report
