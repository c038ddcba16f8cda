// The Raft log over Storage plus the unstable tail (see raft_log.h).
#include "raft/raft_log.h"

#include <algorithm>
#include <string>

#include "raft/entry_size.h"
#include "raft/invariant.h"

namespace faultline::raft {

RaftLog::RaftLog(Storage& storage, std::uint64_t max_committed_bytes)
    : storage_(&storage),
      unstable_(storage.last_index() + 1),
      committed_(storage.first_index() - 1),
      applied_(storage.first_index() - 1),
      max_committed_bytes_(max_committed_bytes) {}

Index RaftLog::first_index() const {
  if (auto i = unstable_.maybe_first_index()) return *i;
  return storage_->first_index();
}

Index RaftLog::last_index() const {
  if (auto i = unstable_.maybe_last_index()) return *i;
  return storage_->last_index();
}

Term RaftLog::last_term() const {
  Term t = 0;
  if (term(last_index(), t) != ErrorCode::ok) {
    fail_invariant("the term of the last entry " + std::to_string(last_index()) +
                   " is unavailable");
  }
  return t;
}

ErrorCode RaftLog::term(Index i, Term& out) const {
  // The valid range is [index of the dummy entry (snapshot), last index].
  if (i + 1 < first_index()) return ErrorCode::compacted;
  if (i > last_index()) return ErrorCode::unavailable;
  if (auto t = unstable_.maybe_term(i)) {
    out = *t;
    return ErrorCode::ok;
  }
  return storage_->term(i, out);
}

Term RaftLog::term_or_zero(Index i) const {
  Term t = 0;
  return term(i, t) == ErrorCode::ok ? t : 0;
}

bool RaftLog::match_term(Index i, Term t) const {
  Term got = 0;
  return term(i, got) == ErrorCode::ok && got == t;
}

bool RaftLog::is_up_to_date(Index lasti, Term lastt) const {
  const Term our_term = last_term();
  return lastt > our_term || (lastt == our_term && lasti >= last_index());
}

std::optional<Index> RaftLog::maybe_append(Index index, Term log_term, Index committed,
                                           std::span<const Entry> ents) {
  if (!match_term(index, log_term)) return std::nullopt;
  const Index last_new = index + ents.size();
  const Index conflict = find_conflict(ents);
  if (conflict != 0) {
    if (conflict <= committed_) {
      fail_invariant("entry " + std::to_string(conflict) +
                     " conflicts with a committed entry (committed " + std::to_string(committed_) +
                     ")");
    }
    // Only the entries from the conflict on are new; they are copied once, into the log.
    append(ents.subspan(conflict - (index + 1)));
  }
  commit_to(std::min(committed, last_new));
  return last_new;
}

void RaftLog::check_append_at(Index first) const {
  const Index after = first - 1;
  if (after < committed_) {
    fail_invariant("append after " + std::to_string(after) + " would overwrite committed " +
                   std::to_string(committed_));
  }
  if (after > last_index()) {
    fail_invariant("append after " + std::to_string(after) + " leaves a gap after " +
                   std::to_string(last_index()));
  }
}

Index RaftLog::append(std::span<const Entry> ents) {
  if (ents.empty()) return last_index();
  check_append_at(ents.front().index);
  unstable_.truncate_and_append(ents);
  return last_index();
}

Index RaftLog::append(std::vector<Entry>&& ents) {
  if (ents.empty()) return last_index();
  check_append_at(ents.front().index);
  unstable_.truncate_and_append(std::move(ents));
  return last_index();
}

Index RaftLog::find_conflict(std::span<const Entry> ents) const {
  // Entries past our last index are new, so the first of them conflicts: no term lookup
  // is needed for them (the common case of a follower that is up to date).
  const Index last = last_index();
  for (const Entry& e : ents) {
    if (e.index > last || !match_term(e.index, e.term)) return e.index;
  }
  return 0;
}

Index RaftLog::find_conflict_by_term(Index index, Term term) const {
  // Such a call means the peer's hint is beyond our log; the index itself is a safe answer.
  if (index > last_index()) return index;
  for (;;) {
    Term t = 0;
    if (this->term(index, t) != ErrorCode::ok || t <= term) return index;
    if (index == 0) return 0;
    --index;
  }
}

void RaftLog::commit_to(Index i) {
  if (i <= committed_) return;  // commit never decreases
  if (i > last_index()) {
    fail_invariant("commit " + std::to_string(i) + " is beyond the last index " +
                   std::to_string(last_index()) + ": was the log corrupted, truncated or lost?");
  }
  committed_ = i;
}

bool RaftLog::maybe_commit(Index max_index, Term t) {
  if (max_index > committed_ && term_or_zero(max_index) == t) {
    commit_to(max_index);
    return true;
  }
  return false;
}

void RaftLog::applied_to(Index i) {
  if (i == 0) return;
  if (i > committed_ || i < applied_) {
    fail_invariant("applied " + std::to_string(i) + " is outside [applied " +
                   std::to_string(applied_) + ", committed " + std::to_string(committed_) + "]");
  }
  applied_ = i;
}

void RaftLog::restore(const Snapshot& s) {
  committed_ = s.metadata.index;
  unstable_.restore(s);
}

Index RaftLog::persisted_last_index() const {
  if (const auto& snap = unstable_.snapshot()) return snap->metadata.index;
  return std::min(last_index(), unstable_.offset() - 1);
}

std::vector<Entry> RaftLog::next_committed_entries() const {
  std::vector<Entry> out;
  const Index off = std::max(applied_ + 1, first_index());
  if (committed_ + 1 > off) {
    if (slice(off, committed_ + 1, max_committed_bytes_, out) != ErrorCode::ok) {
      fail_invariant("committed entries from " + std::to_string(off) + " are unavailable");
    }
  }
  return out;
}

bool RaftLog::has_next_committed_entries() const {
  return committed_ + 1 > std::max(applied_ + 1, first_index());
}

ErrorCode RaftLog::entries(Index i, std::uint64_t max_bytes, std::vector<Entry>& out) const {
  out.clear();
  if (i > last_index()) return ErrorCode::ok;
  return slice(i, last_index() + 1, max_bytes, out);
}

ErrorCode RaftLog::slice(Index lo, Index hi, std::uint64_t max_bytes,
                         std::vector<Entry>& out) const {
  out.clear();
  if (lo > hi || hi > last_index() + 1) {
    fail_invariant("slice [" + std::to_string(lo) + ", " + std::to_string(hi) +
                   ") is beyond the last index " + std::to_string(last_index()));
  }
  if (lo < first_index()) return ErrorCode::compacted;
  if (lo == hi) return ErrorCode::ok;

  const Index offset = unstable_.offset();
  if (lo < offset) {
    const Index stable_hi = std::min(hi, offset);
    ErrorCode err = storage_->entries(lo, stable_hi, max_bytes, out);
    if (err == ErrorCode::compacted) return err;
    if (err != ErrorCode::ok) {
      fail_invariant("storage entries [" + std::to_string(lo) + ", " + std::to_string(stable_hi) +
                     "): " + std::string(to_string(err)));
    }
    // Storage stopped early because of the size limit: nothing more fits.
    if (out.size() < stable_hi - lo) return ErrorCode::ok;
  }
  if (hi > offset) {
    // Copy only what fits next to the stable part, so a long unstable tail is not copied
    // only to be cut.
    const Index from = std::max(lo, offset);
    std::uint64_t used = 0;
    for (const Entry& e : out) used += entry_bytes(e);
    const std::span<const Entry> tail(unstable_.entries().data() + (from - offset), hi - from);
    unstable_.copy_range(from, from + entries_within(tail, out.size(), used, max_bytes), out);
  }
  limit_size(out, max_bytes);
  return ErrorCode::ok;
}

ErrorCode RaftLog::snapshot(Snapshot& out) const {
  if (const auto& snap = unstable_.snapshot()) {
    out = *snap;
    return ErrorCode::ok;
  }
  return storage_->snapshot(out);
}

std::vector<Entry> RaftLog::all_entries() const {
  std::vector<Entry> out;
  ErrorCode err = entries(first_index(), kNoLimit, out);
  if (err != ErrorCode::ok) fail_invariant("the whole log is not readable");
  return out;
}

void RaftLog::load_commit(Index commit) {
  if (commit < committed_ || commit > last_index()) {
    fail_invariant("stored commit " + std::to_string(commit) + " is outside [" +
                   std::to_string(committed_) + ", " + std::to_string(last_index()) + "]");
  }
  committed_ = commit;
}

}  // namespace faultline::raft
