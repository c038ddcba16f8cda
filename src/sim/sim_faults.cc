// The scenario's fault timeline: roles resolved to node ids when each fault fires (by
// roles.h, which the lab uses too), links cut / degraded / healed, processes crashed /
// restarted / paused / resumed, and every action written to the run record with the ids
// it resolved to.
#include <algorithm>

#include "sim/roles.h"
#include "sim/simulation.h"

namespace faultline::sim {
namespace {

record::FaultKind kind_of(const Fault& f) {
  switch (f.action) {
    case Fault::Action::cut:
      return record::FaultKind::cut;
    case Fault::Action::degrade:
      return f.loss ? record::FaultKind::loss : record::FaultKind::delay;
    case Fault::Action::heal:
      return record::FaultKind::heal;
    case Fault::Action::crash:
      return record::FaultKind::crash;
    case Fault::Action::restart:
      return record::FaultKind::restart;
    case Fault::Action::pause:
      return record::FaultKind::pause;
    case Fault::Action::resume:
      return record::FaultKind::resume;
  }
  return record::FaultKind::cut;
}

bool breaks_something(record::FaultKind k) {
  return k == record::FaultKind::cut || k == record::FaultKind::loss ||
         k == record::FaultKind::delay || k == record::FaultKind::crash ||
         k == record::FaultKind::pause;
}

void add_link(std::vector<record::Link>& links, int from, int to) {
  record::Link l{static_cast<record::NodeId>(from + 1), static_cast<record::NodeId>(to + 1)};
  if (from != to && std::find(links.begin(), links.end(), l) == links.end()) links.push_back(l);
}

}  // namespace

std::uint32_t Simulation::fault_event_count(const Scenario& scenario) {
  std::uint32_t count = 0;
  for_each_fault_event(scenario, [&](Micros, EventType, std::size_t, int) { ++count; });
  return count;
}

Micros Simulation::faults_done_at(const Scenario& scenario) {
  Micros done = 0;
  for (const Fault& f : scenario.faults) done = f.repeat || done < 0 ? -1 : std::max(done, f.at_us);
  return done;
}

void Simulation::schedule_faults() {
  const auto& faults = scenario_->faults;
  fired_.resize(faults.size());
  for (std::size_t k = 0; k < faults.size(); ++k)
    fired_[k].resize(static_cast<std::size_t>(faults[k].repeat ? faults[k].repeat->count : 1));
  std::uint32_t seq = fault_seq_base_;
  for_each_fault_event(*scenario_, [&](Micros at, EventType type, std::size_t k, int r) {
    queue_.push_as(seq++, at, type, static_cast<std::uint32_t>(k), 0,
                   static_cast<std::uint32_t>(r));
  });
}

std::optional<int> Simulation::current_leader() const {
  std::optional<int> best;
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    const SimNode& n = nodes_[static_cast<std::size_t>(i)];
    if (!n.up || n.role != raft::StateRole::leader) continue;
    if (!best || n.term > nodes_[static_cast<std::size_t>(*best)].term) best = i;
  }
  return best;
}

namespace {

// The leader a firing uses: the current one (highest term if several believe they lead),
// else the last node seen becoming leader, so a fault during an election still resolves.
// As a node id (1-based), the form roles.h works in.
std::optional<int> firing_leader_id(std::optional<int> current, std::optional<int> last) {
  const auto index = current ? current : last;
  return index ? std::optional<int>(*index + 1) : std::nullopt;
}

}  // namespace

// Role resolution is roles.h's, shared with the lab so both resolve a scenario alike.
std::vector<record::Link> Simulation::resolve_links(const std::vector<LinkShape>& shapes,
                                                    std::string& detail) const {
  const auto leader = firing_leader_id(current_leader(), last_leader_);
  std::vector<record::Link> links;
  for (const auto& [from, to] :
       resolve_link_shapes(shapes, leader, static_cast<int>(nodes_.size()), detail))
    links.push_back(
        record::Link{static_cast<record::NodeId>(from), static_cast<record::NodeId>(to)});
  return links;
}

std::vector<int> Simulation::resolve_nodes(const std::vector<NodeRef>& refs,
                                           std::string& detail) const {
  const auto leader = firing_leader_id(current_leader(), last_leader_);
  std::vector<int> out;
  for (int id : resolve_node_refs(refs, leader, static_cast<int>(nodes_.size()), detail))
    out.push_back(id - 1);  // node index
  return out;
}

void Simulation::heal_links(const std::vector<record::Link>& links) {
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(links.size());
  for (const auto& l : links)
    pairs.emplace_back(static_cast<int>(l.from) - 1, static_cast<int>(l.to) - 1);
  const LinkMatrix::Healed h = links_.heal(pairs, now_, rng_);
  free_slots_.insert(free_slots_.end(), h.lost.begin(), h.lost.end());
  for (const auto& r : h.resumes)
    queue_.push(r.at, EventType::link_resume, static_cast<std::uint32_t>(r.from),
                static_cast<std::uint64_t>(r.to) << 1 | static_cast<std::uint64_t>(r.channel),
                r.epoch);
}

void Simulation::on_fault(std::size_t k, std::uint32_t repetition) {
  const Fault& f = scenario_->faults[k];
  Resolved& done = fired_[k][repetition];
  record::FaultEvent ev;
  ev.time_us = now_;
  ev.kind = kind_of(f);
  ev.label = f.label;
  if (f.repeat) ev.label += " #" + std::to_string(repetition + 1);
  std::string detail;
  const int n = static_cast<int>(nodes_.size());

  // Everything an undo by name or "all" would touch, gathered from earlier firings.
  auto named = [&](auto member) {
    std::vector<typename std::decay_t<decltype(Resolved{}.*member)>::value_type> out;
    for (const auto& name : f.targets)
      for (std::size_t j = 0; j < scenario_->faults.size(); ++j)
        if (scenario_->faults[j].name == name)
          for (const auto& r : fired_[j])
            for (const auto& x : r.*member)
              if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
    return out;
  };

  switch (f.action) {
    case Fault::Action::cut:
      done.links = resolve_links(f.shapes, detail);
      for (const auto& l : done.links)
        links_.set_up(static_cast<int>(l.from) - 1, static_cast<int>(l.to) - 1, false);
      ev.links = done.links;
      break;
    case Fault::Action::degrade: {
      done.links = resolve_links(f.shapes, detail);
      LinkParams p = scenario_->network;
      if (f.loss) p.loss = *f.loss;
      if (f.delay_us) p.delay_us += *f.delay_us;
      for (const auto& l : done.links)
        links_.set_params(static_cast<int>(l.from) - 1, static_cast<int>(l.to) - 1, p);
      ev.links = done.links;
      ev.loss = f.loss.value_or(0);
      ev.delay_us = f.delay_us.value_or(0);
      break;
    }
    case Fault::Action::heal: {
      std::vector<record::Link> links;
      if (f.all) {
        for (int a = 0; a < n; ++a)
          for (int b = 0; b < n; ++b)
            if (a != b && (!links_.up(a, b) || !(links_.params(a, b) == scenario_->network)))
              add_link(links, a, b);
      }
      for (const auto& l : named(&Resolved::links))
        add_link(links, static_cast<int>(l.from) - 1, static_cast<int>(l.to) - 1);
      for (const auto& l : resolve_links(f.shapes, detail))
        add_link(links, static_cast<int>(l.from) - 1, static_cast<int>(l.to) - 1);
      heal_links(links);
      ev.links = links;
      break;
    }
    case Fault::Action::crash:
    case Fault::Action::pause:
      done.nodes = resolve_nodes(f.nodes, detail);
      for (int i : done.nodes) f.action == Fault::Action::crash ? crash(i) : pause(i);
      break;
    case Fault::Action::restart:
    case Fault::Action::resume: {
      const bool restarting = f.action == Fault::Action::restart;
      std::vector<int> targets = named(&Resolved::nodes);
      for (int i : resolve_nodes(f.nodes, detail))
        if (std::find(targets.begin(), targets.end(), i) == targets.end()) targets.push_back(i);
      if (f.all)
        for (int i = 0; i < n; ++i) {
          const SimNode& node = nodes_[static_cast<std::size_t>(i)];
          if ((restarting ? !node.up : node.paused) &&
              std::find(targets.begin(), targets.end(), i) == targets.end())
            targets.push_back(i);
        }
      for (int i : targets) restarting ? restart(i) : resume(i);
      done.nodes = targets;
      break;
    }
  }
  for (int i : done.nodes) ev.nodes.push_back(static_cast<record::NodeId>(i + 1));
  if (!detail.empty()) detail.resize(detail.size() - 2);  // the last "; "
  ev.detail = detail;
  record_.faults.push_back(std::move(ev));
  note_fault_state();
}

void Simulation::on_fault_undo(std::size_t k, std::uint32_t repetition) {
  const Fault& f = scenario_->faults[k];
  const Resolved& done = fired_[k][repetition];
  record::FaultEvent ev;
  ev.time_us = now_;
  ev.label = "end of " + f.label + " #" + std::to_string(repetition + 1);
  switch (f.action) {
    case Fault::Action::cut:
    case Fault::Action::degrade:
      ev.kind = record::FaultKind::heal;
      heal_links(done.links);
      ev.links = done.links;
      break;
    case Fault::Action::crash:
      ev.kind = record::FaultKind::restart;
      for (int i : done.nodes) restart(i);
      break;
    case Fault::Action::pause:
      ev.kind = record::FaultKind::resume;
      for (int i : done.nodes) resume(i);
      break;
    default:
      return;  // the parser lets only the actions above repeat
  }
  for (int i : done.nodes) ev.nodes.push_back(static_cast<record::NodeId>(i + 1));
  record_.faults.push_back(std::move(ev));
  note_fault_state();
}

void Simulation::note_fault_state() {
  auto& meta = record_.meta;
  const record::FaultKind kind = record_.faults.back().kind;
  if (meta.first_fault_us < 0 && breaks_something(kind)) meta.first_fault_us = now_;
  int faulty = links_.faulty_links();
  for (const auto& n : nodes_) faulty += (!n.up || n.paused) ? 1 : 0;
  // The "during" phase ends when the cluster was last made whole again.
  if (faulty == 0 && meta.first_fault_us >= 0 && !breaks_something(kind)) meta.last_heal_us = now_;
}

void Simulation::on_fake_leader() {
  auto leader = current_leader();
  if (!leader) return;
  const int other = (*leader + 1) % static_cast<int>(nodes_.size());
  checker_.on_leader(nodes_[static_cast<std::size_t>(other)].id,
                     nodes_[static_cast<std::size_t>(*leader)].term);
  if (checker_.violated()) stop_with_violation(checker_.violation());
}

}  // namespace faultline::sim
