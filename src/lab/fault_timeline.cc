// The scenario's fault timeline on a real cluster (see fault_timeline.h).
#include "lab/fault_timeline.h"

#include <algorithm>
#include <thread>

namespace faultline::lab {
namespace {

record::FaultKind kind_of(const sim::Fault& f) {
  using A = sim::Fault::Action;
  switch (f.action) {
    case A::cut:
      return record::FaultKind::cut;
    case A::degrade:
      return f.loss ? record::FaultKind::loss : record::FaultKind::delay;
    case A::heal:
      return record::FaultKind::heal;
    case A::crash:
      return record::FaultKind::crash;
    case A::restart:
      return record::FaultKind::restart;
    case A::pause:
      return record::FaultKind::pause;
    case A::resume:
      return record::FaultKind::resume;
  }
  return record::FaultKind::cut;
}

bool breaks_something(record::FaultKind k) {
  return k == record::FaultKind::cut || k == record::FaultKind::loss ||
         k == record::FaultKind::delay || k == record::FaultKind::crash ||
         k == record::FaultKind::pause;
}

bool names_a_role(const sim::NodeRef& r) { return r.kind != sim::NodeRef::Kind::node; }

// The leader by the latest samples: a node that says it leads (the highest term if several
// do, as the simulator decides).
std::optional<int> leader_of(const std::vector<record::NodeSample>& latest) {
  std::optional<int> best;
  std::uint64_t best_term = 0;
  for (const auto& s : latest)
    if (s.role == record::Role::leader && (!best || s.term > best_term)) {
      best = static_cast<int>(s.node);
      best_term = s.term;
    }
  return best;
}

std::vector<record::Link> to_record(const std::vector<sim::IdLink>& links) {
  std::vector<record::Link> out;
  for (const auto& [a, b] : links)
    out.push_back({static_cast<record::NodeId>(a), static_cast<record::NodeId>(b)});
  return out;
}

}  // namespace

FaultTimeline::FaultTimeline(const sim::Scenario& scenario, LabCluster& cluster,
                             record::RunRecord& record)
    : scenario_(scenario), cluster_(cluster), record_(record) {
  crashed_.assign(static_cast<std::size_t>(scenario.nodes), false);
  paused_.assign(static_cast<std::size_t>(scenario.nodes), false);
  fired_.resize(scenario.faults.size());
  for (std::size_t k = 0; k < scenario.faults.size(); ++k) {
    const sim::Fault& f = scenario.faults[k];
    const int count = f.repeat ? f.repeat->count : 1;
    fired_[k].resize(static_cast<std::size_t>(count));
    for (int r = 0; r < count; ++r) {
      const sim::Micros at = f.at_us + (f.repeat ? f.repeat->every_us * r : 0);
      if (at < scenario.duration_us) firings_.push_back({at, k, r, false});
      if (f.repeat && at + f.repeat->duration_us <= scenario.duration_us)
        firings_.push_back({at + f.repeat->duration_us, k, r, true});
    }
  }
  // Time order; at equal times the scenario's order, an undo before a new firing (as the
  // simulator's event queue, which is stable for equal times).
  std::stable_sort(firings_.begin(), firings_.end(),
                   [](const Firing& a, const Firing& b) { return a.at_us < b.at_us; });
}

bool FaultTimeline::needs_leader(const sim::Fault& f) const {
  for (const auto& r : f.nodes)
    if (names_a_role(r)) return true;
  for (const auto& s : f.shapes) {
    for (const auto& r : s.nodes)
      if (names_a_role(r)) return true;
    for (const auto& g : s.groups)
      for (const auto& r : g)
        if (names_a_role(r)) return true;
  }
  return false;
}

std::optional<int> FaultTimeline::leader_now(
    const std::function<std::vector<record::NodeSample>()>& latest,
    const std::function<bool()>& stopped, const std::function<void()>& watch,
    Clock::time_point end) {
  const auto give_up =
      std::min(end, Clock::now() + std::chrono::microseconds(scenario_.timing.election_timeout_us));
  for (;;) {
    watch();
    if (auto l = leader_of(latest())) return l;
    if (Clock::now() >= give_up || stopped()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string FaultTimeline::apply() { return cluster_.apply_links(links_); }

void FaultTimeline::fire(const Firing& firing, record::FaultEvent& ev) {
  const sim::Fault& f = scenario_.faults[firing.fault];
  Resolved& done = fired_[firing.fault][static_cast<std::size_t>(firing.repetition)];
  const int n = scenario_.nodes;
  std::string detail;
  auto named_links = [&] {
    std::vector<sim::IdLink> out;
    for (const auto& name : f.targets)
      for (std::size_t j = 0; j < scenario_.faults.size(); ++j)
        if (scenario_.faults[j].name == name)
          for (const auto& r : fired_[j])
            for (const auto& l : r.links)
              if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
    return out;
  };
  auto named_nodes = [&] {
    std::vector<int> out;
    for (const auto& name : f.targets)
      for (std::size_t j = 0; j < scenario_.faults.size(); ++j)
        if (scenario_.faults[j].name == name)
          for (const auto& r : fired_[j])
            for (int x : r.nodes)
              if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
    return out;
  };
  using A = sim::Fault::Action;
  switch (f.action) {
    case A::cut:
    case A::degrade: {
      done.links = sim::resolve_link_shapes(f.shapes, leader_, n, detail);
      for (const auto& l : done.links) {
        LinkState& st = links_[l];
        if (f.action == A::cut) {
          st.loss = 1.0;
        } else {
          if (f.loss) st.loss = *f.loss;
          if (f.delay_us) st.delay = std::chrono::microseconds(*f.delay_us);
        }
      }
      ev.links = to_record(done.links);
      ev.loss = f.action == A::cut ? 0 : f.loss.value_or(0);
      ev.delay_us = f.delay_us.value_or(0);
      detail += apply();
      break;
    }
    case A::heal: {
      std::vector<sim::IdLink> healed;
      if (f.all)
        for (const auto& [key, st] : links_) healed.push_back(key);
      for (const auto& l : named_links())
        if (std::find(healed.begin(), healed.end(), l) == healed.end()) healed.push_back(l);
      for (const auto& l : sim::resolve_link_shapes(f.shapes, leader_, n, detail))
        if (std::find(healed.begin(), healed.end(), l) == healed.end()) healed.push_back(l);
      for (const auto& l : healed) links_.erase(l);
      ev.links = to_record(healed);
      detail += apply();
      break;
    }
    case A::crash:
    case A::pause:
      done.nodes = sim::resolve_node_refs(f.nodes, leader_, n, detail);
      for (int k : done.nodes) {
        if (f.action == A::crash) {
          cluster_.crash(k);
          crashed_[static_cast<std::size_t>(k - 1)] = true;
          detail += "SIGKILL n" + std::to_string(k) + "; ";
        } else {
          cluster_.pause(k);
          paused_[static_cast<std::size_t>(k - 1)] = true;
          detail += "SIGSTOP n" + std::to_string(k) + "; ";
        }
      }
      break;
    case A::restart:
    case A::resume: {
      const bool restarting = f.action == A::restart;
      std::vector<int> targets = named_nodes();
      for (int k : sim::resolve_node_refs(f.nodes, leader_, n, detail))
        if (std::find(targets.begin(), targets.end(), k) == targets.end()) targets.push_back(k);
      if (f.all)
        for (int k = 1; k <= n; ++k)
          if ((restarting ? crashed_ : paused_)[static_cast<std::size_t>(k - 1)] &&
              std::find(targets.begin(), targets.end(), k) == targets.end())
            targets.push_back(k);
      for (int k : targets) {
        if (restarting) {
          cluster_.restart(k);
          crashed_[static_cast<std::size_t>(k - 1)] = false;
          detail += "restart n" + std::to_string(k) + " on its data directory; ";
        } else {
          cluster_.resume(k);
          paused_[static_cast<std::size_t>(k - 1)] = false;
          detail += "SIGCONT n" + std::to_string(k) + "; ";
        }
      }
      done.nodes = targets;
      break;
    }
  }
  for (int k : done.nodes) ev.nodes.push_back(static_cast<record::NodeId>(k));
  ev.detail = detail;
}

void FaultTimeline::undo(const Firing& firing, record::FaultEvent& ev) {
  const sim::Fault& f = scenario_.faults[firing.fault];
  const Resolved& done = fired_[firing.fault][static_cast<std::size_t>(firing.repetition)];
  ev.label = "end of " + f.label + " #" + std::to_string(firing.repetition + 1);
  using A = sim::Fault::Action;
  switch (f.action) {
    case A::cut:
    case A::degrade:
      ev.kind = record::FaultKind::heal;
      for (const auto& l : done.links) links_.erase(l);
      ev.links = to_record(done.links);
      ev.detail = apply();
      break;
    case A::crash:
      ev.kind = record::FaultKind::restart;
      for (int k : done.nodes) {
        cluster_.restart(k);
        crashed_[static_cast<std::size_t>(k - 1)] = false;
        ev.detail += "restart n" + std::to_string(k) + " on its data directory; ";
      }
      break;
    case A::pause:
      ev.kind = record::FaultKind::resume;
      for (int k : done.nodes) {
        cluster_.resume(k);
        paused_[static_cast<std::size_t>(k - 1)] = false;
        ev.detail += "SIGCONT n" + std::to_string(k) + "; ";
      }
      break;
    default:
      break;  // the parser lets only the actions above repeat
  }
  for (int k : done.nodes) ev.nodes.push_back(static_cast<record::NodeId>(k));
}

void FaultTimeline::note_fault_state(record::FaultKind kind, sim::Micros now_us) {
  auto& meta = record_.meta;
  if (meta.first_fault_us < 0 && breaks_something(kind)) meta.first_fault_us = now_us;
  std::size_t faulty = links_.size();
  for (std::size_t i = 0; i < crashed_.size(); ++i) faulty += (crashed_[i] || paused_[i]) ? 1 : 0;
  // The "during" phase ends when the cluster was last made whole again (the simulator's rule).
  if (faulty == 0 && meta.first_fault_us >= 0 && !breaks_something(kind))
    meta.last_heal_us = now_us;
  if (faulty > 0) meta.last_heal_us = -1;
}

void FaultTimeline::run(Clock::time_point origin,
                        const std::function<std::vector<record::NodeSample>()>& latest_samples,
                        const std::function<bool()>& stopped, const std::function<void()>& watch,
                        const std::function<void(double)>& on_progress) {
  auto now_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - origin).count();
  };
  auto wait_until = [&](sim::Micros at_us) {
    auto last_report = Clock::now();
    while (!stopped() && now_us() < at_us) {
      watch();
      const auto left = std::chrono::microseconds(at_us - now_us());
      std::this_thread::sleep_for(
          std::min<std::chrono::microseconds>(left, std::chrono::milliseconds(50)));
      if (on_progress && Clock::now() - last_report > std::chrono::seconds(1)) {
        on_progress(static_cast<double>(now_us()) / 1e6);
        last_report = Clock::now();
      }
    }
  };
  const auto end = origin + std::chrono::microseconds(scenario_.duration_us);
  for (const Firing& firing : firings_) {
    wait_until(firing.at_us);
    if (stopped()) return;
    const sim::Fault& f = scenario_.faults[firing.fault];
    record::FaultEvent ev;
    ev.kind = kind_of(f);
    ev.label = f.label + (f.repeat ? " #" + std::to_string(firing.repetition + 1) : "");
    const auto refuse = [&](std::string why) {
      ev.time_us = now_us();
      ev.detail = "refused: " + std::move(why);
      record_.faults.push_back(std::move(ev));
    };
    // Every fault is due before the end, but waiting for a leader can carry the timeline
    // past it: what was due then is not done after the run (its record would end first).
    if (Clock::now() >= end) {
      refuse("the run ended before it could be done (a fault before it waited for a leader)");
      continue;
    }
    if (firing.undo) {
      undo(firing, ev);
    } else {
      leader_.reset();
      if (needs_leader(f)) {
        leader_ = leader_now(latest_samples, stopped, watch, end);
        if (!leader_) {
          refuse(Clock::now() >= end
                     ? "no node was leader before the run ended, so its roles could not be "
                       "resolved"
                     : "no node was leader within one election timeout of the fault's time, "
                       "so its roles could not be resolved");
          continue;
        }
      }
      fire(firing, ev);
    }
    ev.time_us = now_us();
    const record::FaultKind kind = ev.kind;
    record_.faults.push_back(std::move(ev));
    note_fault_state(kind, record_.faults.back().time_us);
  }
  wait_until(scenario_.duration_us);
  if (on_progress)
    on_progress(static_cast<double>(std::min<sim::Micros>(now_us(), scenario_.duration_us)) / 1e6);
}

}  // namespace faultline::lab
