// Runs the commands of an interaction-test script (docs/interaction-tests.md) against an
// in-process cluster (raft/testing/cluster.h) and collects what each prints: the core's
// logger lines, the Readies handled, the messages delivered or dropped, status and logs.
// Nothing here decides what is right; the script's expected output does, and a human read
// it before it was accepted.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "raft/testing/cluster.h"
#include "testlib/script.h"

namespace faultline::raft::testlib {

class InteractionEnv final : public testing::ClusterObserver {
 public:
  InteractionEnv();
  ~InteractionEnv() override;
  InteractionEnv(const InteractionEnv&) = delete;
  InteractionEnv& operator=(const InteractionEnv&) = delete;

  // Runs one command and returns its output lines. A command the env cannot understand
  // (unknown name, unknown option, missing argument) throws ScriptError: a broken script
  // is never accepted as a trace. A refusal by the cluster (a crashed node, an error code)
  // is output ("error: ...") because it is part of the story.
  std::vector<std::string> run(const Command& c);

  // ClusterObserver: everything the cluster does is printed at the current indentation.
  void on_ready(NodeId id, const Ready& rd) override;
  void on_deliver(const Message& m) override;
  void on_refused(const Message& m, ErrorCode why) override;
  void on_drop(const Message& m, testing::DropReason why) override;
  void on_snapshot_reported(NodeId leader, NodeId to, bool ok) override;

 private:
  void emit(std::string line);

  void add_nodes(const Command& c);
  void tick(const Command& c);
  void tick_election(const Command& c);
  void tick_heartbeat(const Command& c);
  void process_ready(const Command& c);
  void deliver_msgs(const Command& c);
  void stabilize(const Command& c);
  void status(const Command& c);
  void raft_log(const Command& c);
  void applied(const Command& c);
  void step(const Command& c);
  void links(const Command& c);
  void report_error(ErrorCode e);

  testing::Cluster cluster_;
  std::vector<std::string> out_;
  std::string indent_;
};

}  // namespace faultline::raft::testlib
