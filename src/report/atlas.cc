// Loading and validating atlas.json (the format is documented in atlas.h), and the two
// questions every part of the page asks about its lab runs.
#include "report/atlas.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/analysis.h"
#include "record/json_number.h"
#include "report/report_error.h"

namespace faultline::report {

namespace {

using nlohmann::json;

class AtlasReader {
 public:
  explicit AtlasReader(std::filesystem::path file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& problem) const {
    throw ReportError(fmt::format("{}: {}: {}", file_.string(), where, problem));
  }

  void check_verdict(const std::string& verdict, const std::string& where) const {
    if (!analysis::verdict_from(verdict)) {
      fail(where, fmt::format("unknown verdict \"{}\" (expected stable, disrupted, livelock or "
                              "deadlock)",
                              verdict));
    }
  }

  int node_id(const json& v, const std::string& where, bool zero_allowed) const {
    const auto id = record::json_integer<std::int64_t>(v);
    if (!id) fail(where, "expected a node id (an integer)");
    if ((*id == 0 && zero_allowed) || (*id >= 1 && *id <= nodes_)) return static_cast<int>(*id);
    fail(where, fmt::format("node {} is not one of 1..{}", *id, nodes_));
  }

  Atlas read(const json& doc) {
    if (!doc.is_object()) fail("top level", "expected a JSON object");
    if (doc.contains("format") && doc["format"] != "faultline-atlas/1") {
      fail("format", fmt::format("unsupported format {}", doc["format"].dump()));
    }
    Atlas atlas;
    const auto nodes =
        doc.contains("nodes") ? record::json_integer<int>(doc["nodes"]) : std::nullopt;
    if (!nodes) fail("nodes", "missing or not an integer");
    atlas.nodes = *nodes;
    if (atlas.nodes < 2 || atlas.nodes > kAtlasMaxNodes) {
      fail("nodes", fmt::format("{} is outside 2..{}", atlas.nodes, kAtlasMaxNodes));
    }
    nodes_ = atlas.nodes;
    if (doc.contains("seeds")) {
      const auto seeds = record::json_integer<int>(doc["seeds"]);
      if (!seeds || *seeds < 0) fail("seeds", "not a count of seeds");
      atlas.seeds = *seeds;
    }
    if (!doc.contains("profiles") || !doc["profiles"].is_array() || doc["profiles"].empty()) {
      fail("profiles", "missing or not a non-empty list of names");
    }
    for (const auto& p : doc["profiles"]) {
      if (!p.is_string()) fail("profiles", "every profile must be a name (a string)");
      atlas.profiles.push_back(p.get<std::string>());
    }
    if (atlas.profiles.size() > kAtlasMaxProfiles) {
      fail("profiles", fmt::format("more than {} profiles", kAtlasMaxProfiles));
    }
    if (!doc.contains("topologies") || !doc["topologies"].is_array()) {
      fail("topologies", "missing or not a list");
    }
    if (doc["topologies"].size() > kAtlasMaxTopologies) {
      fail("topologies", fmt::format("more than {} topologies", kAtlasMaxTopologies));
    }
    std::set<std::string> ids;
    for (std::size_t i = 0; i < doc["topologies"].size(); ++i) {
      atlas.topologies.push_back(read_topology(doc["topologies"][i], i, atlas.profiles));
      if (!ids.insert(atlas.topologies.back().id).second) {
        fail(fmt::format("topologies[{}].id", i),
             fmt::format("\"{}\" appears twice", atlas.topologies.back().id));
      }
    }
    if (doc.contains("coverage")) {
      if (!doc["coverage"].is_object()) fail("coverage", "expected {profile: share}");
      for (const auto& [profile, share] : doc["coverage"].items()) {
        if (!share.is_number() || share.get<double>() < 0 || share.get<double>() > 1) {
          fail("coverage." + profile, "expected a share between 0 and 1");
        }
        atlas.coverage[profile] = share.get<double>();
      }
    }
    if (doc.contains("lab")) atlas.lab = read_lab(doc["lab"], atlas.profiles);
    return atlas;
  }

 private:
  AtlasTopology read_topology(const json& t, std::size_t index,
                              const std::vector<std::string>& profiles) const {
    std::string where = fmt::format("topologies[{}]", index);
    if (!t.is_object()) fail(where, "expected an object");
    AtlasTopology topo;
    topo.id = t.contains("id") && t["id"].is_string() ? t["id"].get<std::string>()
                                                      : fmt::format("#{}", index + 1);
    if (!t.contains("cut_links") || !t["cut_links"].is_array()) {
      fail(where + ".cut_links", "missing or not a list of [from, to] pairs");
    }
    for (std::size_t l = 0; l < t["cut_links"].size(); ++l) {
      const auto& link = t["cut_links"][l];
      std::string at = fmt::format("{}.cut_links[{}]", where, l);
      if (!link.is_array() || link.size() != 2) fail(at, "expected [from, to]");
      int from = node_id(link[0], at, false);
      int to = node_id(link[1], at, false);
      if (from == to) fail(at, "a link joins two different nodes");
      topo.cut_links.emplace_back(from, to);
    }
    if (t.contains("leader") && !t["leader"].is_null()) {
      topo.leader = node_id(t["leader"], where + ".leader", true);
    }
    if (t.contains("lagging") && !t["lagging"].is_null()) {
      topo.lagging = node_id(t["lagging"], where + ".lagging", true);
    }
    if (t.contains("quorum_connected")) {
      const auto& q = t["quorum_connected"];
      if (q.is_boolean()) {
        topo.any_quorum_connected = q.get<bool>();
      } else if (q.is_array()) {
        for (const auto& n : q) {
          topo.quorum_connected.push_back(node_id(n, where + ".quorum_connected", false));
        }
        topo.any_quorum_connected = !topo.quorum_connected.empty();
      } else {
        fail(where + ".quorum_connected", "expected a list of node ids or a bool");
      }
    }
    if (!t.contains("results") || !t["results"].is_object()) {
      fail(where + ".results", "missing or not an object {profile: result}");
    }
    for (const auto& [profile, r] : t["results"].items()) {
      std::string at = where + ".results." + profile;
      if (std::find(profiles.begin(), profiles.end(), profile) == profiles.end()) {
        fail(at, "profile not listed in \"profiles\"");
      }
      if (!r.is_object() || !r.contains("verdict") || !r["verdict"].is_string()) {
        fail(at, "expected an object with a \"verdict\"");
      }
      AtlasResult result;
      result.verdict = r["verdict"].get<std::string>();
      check_verdict(result.verdict, at + ".verdict");
      if (r.contains("downtime_ms") && r["downtime_ms"].is_number()) {
        result.downtime_ms = r["downtime_ms"].get<double>();
      }
      if (r.contains("elections") && r["elections"].is_number()) {
        result.elections = r["elections"].get<double>();
      }
      if (r.contains("verdicts") && r["verdicts"].is_object()) {
        for (const auto& [v, count] : r["verdicts"].items()) {
          check_verdict(v, at + ".verdicts");
          const auto n = record::json_integer<int>(count);
          if (n && *n >= 0) result.verdicts[v] = *n;
        }
      }
      if (r.contains("lab")) result.lab = read_lab_runs(r["lab"], at + ".lab");
      topo.results[profile] = std::move(result);
    }
    return topo;
  }

  std::vector<AtlasLabRun> read_lab_runs(const json& lab, const std::string& where) const {
    if (!lab.is_array()) fail(where, "expected a list of lab runs");
    if (lab.size() > kAtlasMaxLabRuns) {
      fail(where, fmt::format("more than {} lab runs", kAtlasMaxLabRuns));
    }
    std::vector<AtlasLabRun> runs;
    for (std::size_t i = 0; i < lab.size(); ++i) {
      const auto& l = lab[i];
      std::string at = fmt::format("{}[{}]", where, i);
      if (!l.is_object()) fail(at, "expected an object {verdict, agreement, ...}");
      AtlasLabRun run;
      if (!l.contains("verdict") || !l["verdict"].is_string()) {
        fail(at + ".verdict", "missing or not a string");
      }
      run.verdict = l["verdict"].get<std::string>();
      check_verdict(run.verdict, at + ".verdict");
      if (!l.contains("agreement") || !l["agreement"].is_string()) {
        fail(at + ".agreement", "missing or not a string");
      }
      run.agreement = l["agreement"].get<std::string>();
      if (l.contains("downtime_ms") && l["downtime_ms"].is_number()) {
        run.downtime_ms = l["downtime_ms"].get<double>();
      }
      if (l.contains("elections") && l["elections"].is_number()) {
        run.elections = l["elections"].get<double>();
      }
      if (l.contains("record") && l["record"].is_string()) {
        run.record = l["record"].get<std::string>();
      }
      runs.push_back(std::move(run));
    }
    return runs;
  }

  int count(const json& v, const std::string& where) const {
    const auto n = record::json_integer<int>(v);
    if (!n || *n < 0) fail(where, "not a count (an integer, 0 or more)");
    return *n;
  }

  std::string text(const json& v, const std::string& where) const {
    if (!v.is_string()) fail(where, "expected a string");
    return v.get<std::string>();
  }

  AtlasLab read_lab(const json& lab, const std::vector<std::string>& profiles) const {
    if (!lab.is_object()) fail("lab", "expected an object {system, system_version, net, ...}");
    AtlasLab out;
    if (lab.contains("system")) out.system = text(lab["system"], "lab.system");
    if (lab.contains("system_version")) {
      out.system_version = text(lab["system_version"], "lab.system_version");
    }
    if (lab.contains("net")) out.net = text(lab["net"], "lab.net");
    if (lab.contains("seeds")) out.seeds = count(lab["seeds"], "lab.seeds");
    if (!lab.contains("profiles")) return out;
    if (!lab["profiles"].is_object()) fail("lab.profiles", "expected {profile: summary}");
    for (const auto& [profile, p] : lab["profiles"].items()) {
      std::string at = "lab.profiles." + profile;
      if (std::find(profiles.begin(), profiles.end(), profile) == profiles.end()) {
        fail(at, "profile not listed in \"profiles\"");
      }
      if (!p.is_object()) fail(at, "expected an object");
      AtlasLabProfile summary;
      if (p.contains("agreement")) {
        if (!p["agreement"].is_object()) fail(at + ".agreement", "expected {agreement: runs}");
        for (const auto& [label, n] : p["agreement"].items()) {
          summary.agreement[label] = count(n, at + ".agreement." + label);
        }
      }
      if (p.contains("model_live")) summary.model_live = count(p["model_live"], at + ".model_live");
      if (p.contains("lab_live")) summary.lab_live = count(p["lab_live"], at + ".lab_live");
      if (p.contains("quorum_connected_cases")) {
        summary.quorum_connected_cases =
            count(p["quorum_connected_cases"], at + ".quorum_connected_cases");
      }
      out.profiles[profile] = std::move(summary);
    }
    return out;
  }

  std::filesystem::path file_;
  int nodes_ = 0;
};

}  // namespace

bool has_lab_runs(const Atlas& atlas) {
  return std::any_of(atlas.topologies.begin(), atlas.topologies.end(), [](const AtlasTopology& t) {
    return std::any_of(t.results.begin(), t.results.end(),
                       [](const auto& result) { return !result.second.lab.empty(); });
  });
}

std::string lab_system_name(const Atlas& atlas) {
  if (!atlas.lab) return "";
  const auto& lab = *atlas.lab;
  if (lab.system_version.empty() || lab.system_version == lab.system) return lab.system;
  if (lab.system.empty()) return lab.system_version;
  return lab.system + " " + lab.system_version;
}

Atlas load_atlas(const std::filesystem::path& path) {
  std::filesystem::path file =
      std::filesystem::is_directory(path) ? path / std::string(kAtlasFile) : path;
  std::ifstream in(file);
  if (!in) throw ReportError(fmt::format("{}: cannot be read", file.string()));
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    throw ReportError(fmt::format("{}: not valid JSON (truncated?)", file.string()));
  }
  return AtlasReader(file).read(doc);
}

}  // namespace faultline::report
