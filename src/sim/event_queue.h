// The simulator's agenda: a binary min-heap of small plain events ordered by (virtual
// time, insertion sequence). The sequence number makes ties deterministic, so the same
// seed processes the same events in the same order. Events carry indices (a node, a
// message slot, an operation), never owning pointers or closures: pushing one allocates
// nothing once the heap has grown.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace faultline::sim {

using Micros = std::int64_t;

enum class EventType : std::uint8_t {
  tick,            // node: one Raft tick (node, incarnation)
  deliver,         // a peer message arrives (slot in the in-flight message pool)
  persist_done,    // node: the disk finished syncing the Ready in flight (node, incarnation)
  client_send,     // the open-loop client issues its next batch of operations
  request_arrive,  // a client request reaches a node (node, op)
  sample,          // periodic node samples
  fault,           // a scenario fault fires (fault index, repetition)
  fault_undo,      // a repeating fault's automatic heal (fault index, repetition)
  fake_leader,     // test hook: tell the invariant checker a false leader exists
};

// 32 bytes: the heap moves these around a lot.
struct Event {
  Micros time = 0;
  std::uint64_t arg = 0;   // message slot, operation id, ...
  std::uint32_t seq = 0;   // insertion order; a run stops long before it wraps (kMaxEvents)
  std::uint32_t node = 0;  // node index or fault index
  std::uint32_t aux = 0;   // incarnation, repetition, outcome
  EventType type = EventType::tick;
};
static_assert(sizeof(Event) == 32);

class EventQueue {
 public:
  void reserve(std::size_t n) { heap_.reserve(n); }

  void push(Micros time, EventType type, std::uint32_t node = 0, std::uint64_t arg = 0,
            std::uint32_t aux = 0) {
    heap_.push_back(Event{time, arg, next_seq_++, node, aux, type});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }

  Event pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Event e = heap_.back();
    heap_.pop_back();
    return e;
  }

 private:
  // std::*_heap builds a max-heap; "later" as the ordering puts the earliest on top.
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };

  std::vector<Event> heap_;
  std::uint32_t next_seq_ = 0;
};

}  // namespace faultline::sim
