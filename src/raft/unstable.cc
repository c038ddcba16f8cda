// The unstable tail of the log (see unstable.h).
#include "raft/unstable.h"

#include <iterator>
#include <string>

#include "raft/invariant.h"

namespace faultline::raft {

void Unstable::stable_to(Index i, Term t) {
  auto term = maybe_term(i);
  // Below offset the term may only match the snapshot: nothing of the entries to drop.
  if (!term || *term != t || i < offset_) return;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i + 1 - offset_));
  offset_ = i + 1;
}

void Unstable::stable_snap_to(Index i) {
  if (snapshot_ && snapshot_->metadata.index == i) snapshot_.reset();
}

void Unstable::restore(const Snapshot& s) {
  offset_ = s.metadata.index + 1;
  entries_.clear();
  snapshot_ = s;
}

void Unstable::truncate_and_append(std::span<const Entry> ents) {
  if (ents.empty()) return;
  const Index after = ents.front().index;
  if (after == offset_ + entries_.size()) {
    // The common case: a straight append.
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  } else if (after <= offset_) {
    // Replaces the whole unstable tail (and shadows stable entries from `after` on).
    offset_ = after;
    entries_.assign(ents.begin(), ents.end());
  } else if (after < offset_ + entries_.size()) {
    // Keeps the unstable entries before `after`, drops the conflicting rest.
    entries_.resize(after - offset_);
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  } else {
    fail_invariant("unstable append at " + std::to_string(after) + " leaves a gap after " +
                   std::to_string(offset_ + entries_.size() - 1));
  }
}

void Unstable::truncate_and_append(std::vector<Entry>&& ents) {
  if (!ents.empty() && ents.front().index == offset_ + entries_.size()) {
    // The leader's proposals: a straight append, moving the payloads instead of copying.
    entries_.insert(entries_.end(), std::make_move_iterator(ents.begin()),
                    std::make_move_iterator(ents.end()));
    return;
  }
  truncate_and_append(std::span<const Entry>(ents));
}

void Unstable::copy_range(Index lo, Index hi, std::vector<Entry>& out) const {
  if (lo > hi || lo < offset_ || hi > offset_ + entries_.size()) {
    fail_invariant("unstable slice [" + std::to_string(lo) + ", " + std::to_string(hi) +
                   ") out of bounds [" + std::to_string(offset_) + ", " +
                   std::to_string(offset_ + entries_.size()) + ")");
  }
  out.insert(out.end(), entries_.begin() + static_cast<std::ptrdiff_t>(lo - offset_),
             entries_.begin() + static_cast<std::ptrdiff_t>(hi - offset_));
}

}  // namespace faultline::raft
