// The storage the core reads its log from, and an in-memory implementation of it.
// The core never writes storage: the driver persists what Ready hands it, then appends it
// here (MemoryStorage) or to its own durable log (the server's WAL implements Storage).
#pragma once

#include <cstdint>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

struct InitialState {
  HardState hard_state;
  std::vector<NodeId> voters;  // empty for a brand-new node (Config::peers is used)
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual InitialState initial_state() const = 0;
  // Entries in [lo, hi), at least one if any exist, then up to max_bytes in total.
  // compacted if lo < first_index(); unavailable if hi > last_index() + 1.
  virtual ErrorCode entries(Index lo, Index hi, std::uint64_t max_bytes,
                            std::vector<Entry>& out) const = 0;
  // The term of entry i; valid for i in [first_index() - 1, last_index()].
  virtual ErrorCode term(Index i, Term& out) const = 0;
  // The index of the first entry still held (the snapshot's index + 1).
  virtual Index first_index() const = 0;
  virtual Index last_index() const = 0;
  // The most recent snapshot (snapshot_temporarily_unavailable if none can be given now).
  virtual ErrorCode snapshot(Snapshot& out) const = 0;
};

// A Storage held in memory. Not thread-safe: one owner, as everything in the core.
class MemoryStorage final : public Storage {
 public:
  MemoryStorage();

  InitialState initial_state() const override;
  ErrorCode entries(Index lo, Index hi, std::uint64_t max_bytes,
                    std::vector<Entry>& out) const override;
  ErrorCode term(Index i, Term& out) const override;
  Index first_index() const override;
  Index last_index() const override;
  ErrorCode snapshot(Snapshot& out) const override;

  void set_hard_state(const HardState& hs);
  // Replaces everything with the snapshot (snapshot_out_of_date if older than held).
  ErrorCode apply_snapshot(const Snapshot& snap);
  // Makes a snapshot at applied index i with the application's state `data`.
  ErrorCode create_snapshot(Index i, const std::vector<NodeId>& voters, std::string data,
                            Snapshot* out = nullptr);
  // Drops entries before `compact_index` (which must be <= the last applied index).
  ErrorCode compact(Index compact_index);
  // Appends entries, truncating any conflicting suffix. Entries must be contiguous.
  ErrorCode append(const std::vector<Entry>& entries);
  // The same, moving the entries in (a driver done with the Ready's entries).
  ErrorCode append(std::vector<Entry>&& entries);

  // Sets the voters (a new cluster's configuration, before any snapshot exists).
  void set_voters(std::vector<NodeId> voters);

 private:
  HardState hard_state_;
  Snapshot snapshot_;  // metadata only matters; data kept for snapshot()
  // Checks `entries` for append() and truncates any conflicting suffix; returns how many
  // of them to append from the end (the first ones may be compacted already), or an error.
  ErrorCode prepare_append(const std::vector<Entry>& entries, std::size_t& skip);

  // ents_[0] is a dummy entry at snapshot_.metadata.index / term.
  std::vector<Entry> ents_;
};

}  // namespace faultline::raft
