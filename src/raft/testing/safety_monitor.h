// Connects a SafetyChecker to a live Cluster: it watches every apply and snapshot restore
// as the cluster reports them, and checks a node's whole state when asked (after each step
// of a schedule, or each tick of the demo). The first violation is kept, with the context
// the caller gave, so a long run can stop and print how to replay it.
#pragma once

#include <optional>
#include <string>

#include "raft/testing/cluster.h"
#include "raft/testing/safety_checker.h"

namespace faultline::raft::testing {

class SafetyMonitor final : public ClusterObserver {
 public:
  // Watches `cluster` (becomes its observer) until destroyed.
  explicit SafetyMonitor(Cluster& cluster);
  ~SafetyMonitor() override;
  SafetyMonitor(const SafetyMonitor&) = delete;
  SafetyMonitor& operator=(const SafetyMonitor&) = delete;

  // Checks the current state of `id` (nothing if it is down: a crashed node leads nobody
  // and its storage is checked again when it restarts). Returns false on a violation.
  bool check(NodeId id);
  // Checks every up node.
  bool check_all();

  const std::optional<Violation>& violation() const { return violation_; }
  const SafetyChecker& checker() const { return checker_; }
  // State machines replaced by a snapshot (received, or reloaded at restart).
  std::uint64_t restores() const { return restores_; }

  void on_apply(NodeId id, const AppliedState& before, const Entry& e) override;
  void on_restore(NodeId id, const AppliedState& state) override;

 private:
  void keep(std::optional<Violation> v);

  Cluster& cluster_;
  SafetyChecker checker_;
  std::optional<Violation> violation_;
  std::uint64_t restores_ = 0;
};

// The checker's view of a running node.
NodeView view_of(const Cluster& cluster, NodeId id);

}  // namespace faultline::raft::testing
