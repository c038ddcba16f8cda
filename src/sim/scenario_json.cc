// The resolved scenario as JSON, for the run record's meta.scenario_json: defaults filled
// in, every time in microseconds, so a record says exactly what was run.
#include <nlohmann/json.hpp>

#include "sim/scenario.h"

namespace faultline::sim {
namespace {

std::string_view action_name(Fault::Action a) {
  switch (a) {
    case Fault::Action::cut:
      return "cut";
    case Fault::Action::degrade:
      return "degrade";
    case Fault::Action::heal:
      return "heal";
    case Fault::Action::crash:
      return "crash";
    case Fault::Action::restart:
      return "restart";
    case Fault::Action::pause:
      return "pause";
    case Fault::Action::resume:
      return "resume";
  }
  return "?";
}

std::string_view shape_name(LinkShape::Kind k) {
  switch (k) {
    case LinkShape::Kind::cut:
      return "cut";
    case LinkShape::Kind::one_way:
      return "one_way";
    case LinkShape::Kind::isolate:
      return "isolate";
    case LinkShape::Kind::bridge:
      return "bridge";
    case LinkShape::Kind::partition:
      return "partition";
  }
  return "?";
}

nlohmann::json refs(const std::vector<NodeRef>& nodes) {
  auto out = nlohmann::json::array();
  for (auto& r : nodes) out.push_back(r.text);
  return out;
}

}  // namespace

std::string scenario_to_json(const Scenario& s) {
  nlohmann::json j;
  j["name"] = s.name;
  j["description"] = s.description;
  j["source"] = s.source;
  j["nodes"] = s.nodes;
  j["duration_us"] = s.duration_us;
  j["timing"] = {{"heartbeat_us", s.timing.heartbeat_us},
                 {"election_timeout_us", s.timing.election_timeout_us},
                 {"election_tick", s.election_tick()},
                 {"heartbeat_tick", 1}};
  j["workload"] = {{"rate", s.workload.rate},
                   {"value_size", s.workload.value_size},
                   {"keys", s.workload.keys},
                   {"read_share", s.workload.read_share},
                   {"request_timeout_us", s.workload.request_timeout_us}};
  j["network"] = {
      {"delay_us", s.network.delay_us},   {"jitter_us", s.network.jitter_us},
      {"loss", s.network.loss},           {"loss_model", loss_model_name(s.network.loss_model)},
      {"duplicate", s.network.duplicate}, {"reorder", s.network.reorder}};
  j["disk"] = {{"sync_latency_us", s.disk.sync_latency_us}};
  j["snapshot"] = {{"count", s.snapshot.count}, {"catch_up_entries", s.snapshot.catch_up_entries}};
  auto faults = nlohmann::json::array();
  for (auto& f : s.faults) {
    nlohmann::json jf = {{"at_us", f.at_us}, {"action", action_name(f.action)}, {"label", f.label}};
    if (!f.name.empty()) jf["name"] = f.name;
    if (!f.shapes.empty()) {
      auto shapes = nlohmann::json::array();
      for (auto& sh : f.shapes) {
        nlohmann::json js = {{"kind", shape_name(sh.kind)}};
        if (sh.kind == LinkShape::Kind::partition) {
          auto groups = nlohmann::json::array();
          for (auto& g : sh.groups) groups.push_back(refs(g));
          js["groups"] = groups;
        } else {
          js["nodes"] = refs(sh.nodes);
        }
        shapes.push_back(js);
      }
      jf["links"] = shapes;
    }
    if (f.loss) jf["loss"] = *f.loss;
    if (f.delay_us) jf["delay_us"] = *f.delay_us;
    if (!f.nodes.empty()) jf["nodes"] = refs(f.nodes);
    if (f.all) jf["all"] = true;
    if (!f.targets.empty()) jf["targets"] = f.targets;
    if (f.repeat)
      jf["repeat"] = {{"every_us", f.repeat->every_us},
                      {"count", f.repeat->count},
                      {"duration_us", f.repeat->duration_us}};
    faults.push_back(jf);
  }
  j["faults"] = faults;
  return j.dump();
}

}  // namespace faultline::sim
