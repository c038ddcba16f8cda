// The simulator's agenda: a binary min-heap of small plain events ordered by (virtual
// time, insertion sequence). The sequence number makes ties deterministic, so the same
// seed processes the same events in the same order. Events carry indices (a node, a
// message slot, an operation), never owning pointers or closures: pushing one allocates
// nothing once the heap has grown.
#pragma once

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
  link_resume,     // a healed link's retransmission gets through (from, to*2+channel, epoch)
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
    push_as(next_seq_++, time, type, node, arg, aux);
  }

  // Sets `count` insertion numbers aside and returns the first: an event pushed later
  // with push_as(one of them) takes the place it would have had if pushed now. (A run
  // forked after its warm-up adds its faults this way; see Simulation::attach.)
  std::uint32_t set_aside(std::uint32_t count) {
    const std::uint32_t first = next_seq_;
    next_seq_ += count;
    return first;
  }
  // Pushes with an insertion number from set_aside (each used once).
  void push_as(std::uint32_t seq, Micros time, EventType type, std::uint32_t node = 0,
               std::uint64_t arg = 0, std::uint32_t aux = 0) {
    const Event e{time, arg, seq, node, aux, type};
    // Sift up through a hole: each parent on the way moves down once and the new event is
    // written once, at its place. (std::push_heap stores it first and reads it straight
    // back, a store-forwarding stall that made it the simulator's hottest function.)
    std::size_t hole = heap_.size();
    heap_.emplace_back();
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / 2;
      if (!earlier(e, heap_[parent])) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = e;
  }

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }

  Event pop() {
    const Event first = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return first;
    // Sift the last event down from the root through a hole, as push_as sifts up.
    std::size_t hole = 0;
    for (;;) {
      std::size_t child = 2 * hole + 1;
      if (child >= n) break;
      if (child + 1 < n && earlier(heap_[child + 1], heap_[child])) ++child;
      if (!earlier(heap_[child], last)) break;
      heap_[hole] = heap_[child];
      hole = child;
    }
    heap_[hole] = last;
    return first;
  }

 private:
  // The agenda's order: by time, then by insertion. No two events share an insertion
  // number, so the order is total and any correct heap hands events out alike.
  static bool earlier(const Event& a, const Event& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  }

  std::vector<Event> heap_;
  std::uint32_t next_seq_ = 0;
};

}  // namespace faultline::sim
