// The ReadIndex queue (see read_only.h).
#include "raft/read_only.h"

#include "raft/invariant.h"

namespace faultline::raft {

void ReadOnlyQueue::add_request(Index commit, ReadRequest request) {
  if (pending_.count(request.context) != 0) return;
  std::string ctx = request.context;
  pending_.emplace(ctx, ReadIndexStatus{std::move(request), commit, {}});
  queue_.push_back(std::move(ctx));
}

const std::set<NodeId>* ReadOnlyQueue::recv_ack(NodeId id, const std::string& context) {
  auto it = pending_.find(context);
  if (it == pending_.end()) return nullptr;
  it->second.acks.insert(id);
  return &it->second.acks;
}

std::vector<ReadIndexStatus> ReadOnlyQueue::advance(const std::string& context) {
  std::vector<ReadIndexStatus> released;
  std::size_t n = 0;
  bool found = false;
  for (const std::string& ctx : queue_) {
    ++n;
    if (ctx == context) {
      found = true;
      break;
    }
  }
  if (!found) return released;
  for (std::size_t k = 0; k < n; ++k) {
    auto it = pending_.find(queue_.front());
    if (it == pending_.end()) fail_invariant("a queued read request has no pending status");
    released.push_back(std::move(it->second));
    pending_.erase(it);
    queue_.pop_front();
  }
  return released;
}

std::string ReadOnlyQueue::last_pending_context() const {
  return queue_.empty() ? std::string() : queue_.back();
}

void ReadOnlyQueue::clear() {
  pending_.clear();
  queue_.clear();
}

}  // namespace faultline::raft
