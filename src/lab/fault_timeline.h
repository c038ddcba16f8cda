// The scenario's fault timeline on a real cluster: each fault fires at its time (relative
// to the run's start), its roles resolved from the observers' latest samples with the
// simulator's rules (sim/roles.h), applied to the cluster (nftables rules, fault hooks,
// signals), and recorded as a record::FaultEvent whose detail is what was really done.
//
// No leader when a fault naming a role fires (an election is under way): the timeline waits
// up to one election timeout for one, and never past the run's end; if there is still
// none, the fault is refused and recorded as refused (detail "refused: ..."), and the run
// goes on. A fault whose time came while such a wait ran past the end is refused too. The simulator
// instead uses the last leader it saw; a real cluster gives no such certainty.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <vector>

#include "lab/cluster.h"
#include "record/run_record.h"
#include "sim/roles.h"
#include "sim/scenario.h"

namespace faultline::lab {

class FaultTimeline {
 public:
  using Clock = std::chrono::steady_clock;
  FaultTimeline(const sim::Scenario& scenario, LabCluster& cluster, record::RunRecord& record);

  // Fires every fault at origin + its time and returns at origin + the scenario's duration
  // (or as soon as `stopped` says so). `watch` is called at least every 50 ms while it
  // waits (the runner looks for nodes that exited on their own there). Throws LabError if a
  // rule cannot be applied.
  void run(Clock::time_point origin,
           const std::function<std::vector<record::NodeSample>()>& latest_samples,
           const std::function<bool()>& stopped, const std::function<void()>& watch,
           const std::function<void(double)>& on_progress);

 private:
  struct Firing {
    sim::Micros at_us = 0;
    std::size_t fault = 0;
    int repetition = 0;
    bool undo = false;
  };
  struct Resolved {
    std::vector<sim::IdLink> links;
    std::vector<int> nodes;
  };

  void fire(const Firing& f, record::FaultEvent& ev);
  void undo(const Firing& f, record::FaultEvent& ev);
  bool needs_leader(const sim::Fault& f) const;
  // The leader, waiting up to one election timeout for one but not past `end`.
  std::optional<int> leader_now(const std::function<std::vector<record::NodeSample>()>& latest,
                                const std::function<bool()>& stopped,
                                const std::function<void()>& watch, Clock::time_point end);
  std::string apply();
  void note_fault_state(record::FaultKind kind, sim::Micros now_us);

  const sim::Scenario& scenario_;
  LabCluster& cluster_;
  record::RunRecord& record_;
  std::vector<Firing> firings_;
  std::vector<std::vector<Resolved>> fired_;  // [fault][repetition]
  std::map<LinkKey, LinkState> links_;        // the faulty links right now
  std::vector<bool> crashed_, paused_;        // index node - 1
  std::optional<int> leader_;                 // resolved for the current firing
};

}  // namespace faultline::lab
