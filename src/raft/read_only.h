// The leader's queue of ReadIndex requests (ReadOnlyOption::safe). A request records the
// commit index when it arrived; the leader then sends a heartbeat round carrying the
// request's context, and once a quorum acknowledged that context the leader knows it was
// still the leader when the request arrived, so the recorded index is safe to read at.
// Acknowledging a context also confirms every request queued before it.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

// One ReadIndex request: who asked (kNone: this node itself) and for what context.
struct ReadRequest {
  NodeId from = kNone;
  std::string context;
};

struct ReadIndexStatus {
  ReadRequest request;
  Index index = 0;        // the commit index when the request arrived
  std::set<NodeId> acks;  // voters that answered a heartbeat carrying the context
};

class ReadOnlyQueue {
 public:
  // Queues a request unless one with the same context is already queued (the earlier
  // one will answer it). The caller enforces the bound (size() < max_pending_read_index).
  void add_request(Index commit, ReadRequest request);
  // Records that `id` acknowledged `context`; returns the acks so far (nullptr if no
  // such request is pending).
  const std::set<NodeId>* recv_ack(NodeId id, const std::string& context);
  // Removes and returns the request with `context` and every request queued before it.
  std::vector<ReadIndexStatus> advance(const std::string& context);
  // The context of the newest request: a heartbeat carrying it confirms all of them.
  std::string last_pending_context() const;

  std::size_t size() const { return queue_.size(); }
  void clear();

 private:
  std::map<std::string, ReadIndexStatus> pending_;
  std::deque<std::string> queue_;  // contexts in arrival order
};

}  // namespace faultline::raft
