// MemoryStorage: the log, hard state and latest snapshot held in memory. ents_[0] is a
// dummy entry standing for the snapshot (its index and term), so term(first_index() - 1)
// is always answerable, which the log matching check at the log's start needs.
#include "raft/storage.h"

#include <iterator>
#include <utility>

#include "raft/entry_size.h"

namespace faultline::raft {

MemoryStorage::MemoryStorage() : ents_(1) {}

InitialState MemoryStorage::initial_state() const {
  return InitialState{hard_state_, snapshot_.metadata.voters};
}

Index MemoryStorage::first_index() const { return ents_[0].index + 1; }

Index MemoryStorage::last_index() const { return ents_[0].index + ents_.size() - 1; }

ErrorCode MemoryStorage::entries(Index lo, Index hi, std::uint64_t max_bytes,
                                 std::vector<Entry>& out) const {
  out.clear();
  if (lo < first_index()) return ErrorCode::compacted;
  if (hi > last_index() + 1 || lo > hi) return ErrorCode::unavailable;
  // Count what fits before copying any: a follower far behind must not cost a copy of
  // the whole log per append.
  const auto first = ents_.begin() + static_cast<std::ptrdiff_t>(lo - ents_[0].index);
  const auto n = entries_within(std::span<const Entry>(first, hi - lo), 0, 0, max_bytes);
  out.assign(first, first + static_cast<std::ptrdiff_t>(n));
  return ErrorCode::ok;
}

ErrorCode MemoryStorage::term(Index i, Term& out) const {
  const Index offset = ents_[0].index;
  if (i < offset) return ErrorCode::compacted;
  if (i - offset >= ents_.size()) return ErrorCode::unavailable;
  out = ents_[i - offset].term;
  return ErrorCode::ok;
}

ErrorCode MemoryStorage::snapshot(Snapshot& out) const {
  out = snapshot_;
  return ErrorCode::ok;
}

void MemoryStorage::set_hard_state(const HardState& hs) { hard_state_ = hs; }

ErrorCode MemoryStorage::apply_snapshot(const Snapshot& snap) {
  if (snap.metadata.index <= snapshot_.metadata.index) return ErrorCode::snapshot_out_of_date;
  snapshot_ = snap;
  ents_.assign(1, Entry{snap.metadata.term, snap.metadata.index, {}});
  return ErrorCode::ok;
}

ErrorCode MemoryStorage::create_snapshot(Index i, const std::vector<NodeId>& voters,
                                         std::string data, Snapshot* out) {
  if (i <= snapshot_.metadata.index) return ErrorCode::snapshot_out_of_date;
  if (i > last_index()) return ErrorCode::unavailable;
  snapshot_.metadata.index = i;
  snapshot_.metadata.term = ents_[i - ents_[0].index].term;
  // An empty list keeps the configuration already held (configurations never change here).
  if (!voters.empty()) snapshot_.metadata.voters = voters;
  snapshot_.data = std::move(data);
  if (out != nullptr) *out = snapshot_;
  return ErrorCode::ok;
}

ErrorCode MemoryStorage::compact(Index compact_index) {
  const Index offset = ents_[0].index;
  if (compact_index <= offset) return ErrorCode::compacted;
  if (compact_index > last_index()) return ErrorCode::unavailable;
  const std::size_t i = compact_index - offset;
  // The entry at compact_index becomes the new dummy: its data is no longer needed.
  ents_.erase(ents_.begin(), ents_.begin() + static_cast<std::ptrdiff_t>(i));
  ents_[0].data.clear();
  return ErrorCode::ok;
}

ErrorCode MemoryStorage::prepare_append(const std::vector<Entry>& entries, std::size_t& skip) {
  skip = entries.size();
  if (entries.empty()) return ErrorCode::ok;
  for (std::size_t k = 1; k < entries.size(); ++k) {
    if (entries[k].index != entries[k - 1].index + 1) return ErrorCode::invalid_message;
  }
  const Index first = first_index();
  const Index last = entries.front().index + entries.size() - 1;
  if (last < first) return ErrorCode::ok;  // everything given is already compacted away
  if (entries.front().index > last_index() + 1) return ErrorCode::unavailable;  // a gap

  // Skip what is already compacted, then truncate any conflicting suffix.
  skip = first > entries.front().index ? first - entries.front().index : 0;
  const Index start = entries[skip].index;
  ents_.resize(start - ents_[0].index);
  return ErrorCode::ok;
}

ErrorCode MemoryStorage::append(const std::vector<Entry>& entries) {
  std::size_t skip = 0;
  const ErrorCode err = prepare_append(entries, skip);
  if (err == ErrorCode::ok)
    ents_.insert(ents_.end(), entries.begin() + static_cast<std::ptrdiff_t>(skip), entries.end());
  return err;
}

ErrorCode MemoryStorage::append(std::vector<Entry>&& entries) {
  std::size_t skip = 0;
  const ErrorCode err = prepare_append(entries, skip);
  if (err == ErrorCode::ok)
    ents_.insert(ents_.end(),
                 std::make_move_iterator(entries.begin() + static_cast<std::ptrdiff_t>(skip)),
                 std::make_move_iterator(entries.end()));
  return err;
}

void MemoryStorage::set_voters(std::vector<NodeId> voters) {
  snapshot_.metadata.voters = std::move(voters);
}

}  // namespace faultline::raft
