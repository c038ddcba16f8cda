#include "raft/testing/safety_monitor.h"

namespace faultline::raft::testing {

NodeView view_of(const Cluster& cluster, NodeId id) {
  const RawNode& node = cluster.node(id);
  const Status status = node.status();
  return NodeView{id, status.soft_state.role, status.hard_state.term, status.hard_state.commit,
                  node.log_entries()};
}

SafetyMonitor::SafetyMonitor(Cluster& cluster) : cluster_(cluster) { cluster_.set_observer(this); }

SafetyMonitor::~SafetyMonitor() { cluster_.set_observer(nullptr); }

void SafetyMonitor::keep(std::optional<Violation> v) {
  if (v && !violation_) violation_ = std::move(v);
}

bool SafetyMonitor::check(NodeId id) {
  if (cluster_.is_up(id)) keep(checker_.observe(view_of(cluster_, id)));
  return !violation_;
}

bool SafetyMonitor::check_all() {
  for (NodeId id : cluster_.ids()) check(id);
  return !violation_;
}

void SafetyMonitor::on_apply(NodeId id, const AppliedState& before, const Entry& e) {
  keep(checker_.observe_apply(id, before, e));
}

void SafetyMonitor::on_restore(NodeId id, const AppliedState& state) {
  ++restores_;
  keep(checker_.observe_restore(id, state));
}

}  // namespace faultline::raft::testing
