// KvStore: the replicated state machine — an ordered map with etcd's revision semantics.
// Every committed write command is applied here in log order on every node; reads (Range)
// are served from it after ReadIndex. Only the current version of each key is kept (no
// history): a Range at an older revision is refused with past_revision.
//
//   KvStore store;                         // revision 1, no keys (as a new etcd)
//   PutResponse put;
//   store.put({.key = "a", .value = "1"}, put);    // put.revision == 2
//   RangeResponse got;
//   store.range({.key = "a"}, got);                // got.kvs[0].version == 1
//   std::string snap = store.save();               // the whole state, revision included
//   KvStore other; std::string err; other.restore(snap, err);
//
// Every method validates first and answers a KvError; a refused request changes nothing.
// Not thread-safe: the server's apply thread owns it (reads go through the same owner).
#pragma once

#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "kv/api.h"
#include "kv/command.h"

namespace faultline::kv {

using WriteResponse = std::variant<std::monostate, PutResponse, DeleteRangeResponse, TxnResponse>;

// The outcome of applying one command: an error (nothing changed), or the response.
struct ApplyResult {
  KvError error = KvError::ok;
  WriteResponse response;
};

// Checks done before a request is proposed (etcd does them in its gRPC layer): empty keys,
// ignore_value/ignore_lease given with a value or lease, txn size and duplicate keys. apply()
// repeats them, so a command that bypassed validation still cannot change state wrongly.
KvError validate(const RangeRequest& r);
KvError validate(const PutRequest& r);
KvError validate(const DeleteRangeRequest& r);
KvError validate(const TxnRequest& r);
KvError validate(const WriteRequest& r);

class KvStore {
 public:
  KvStore();
  // Copies rebuild the key index (it points into the copy's own map); moves keep it.
  KvStore(const KvStore& other);
  KvStore& operator=(const KvStore& other);
  KvStore(KvStore&&) noexcept = default;
  KvStore& operator=(KvStore&&) noexcept = default;

  KvError range(const RangeRequest& request, RangeResponse& out) const;
  KvError put(const PutRequest& request, PutResponse& out);
  KvError delete_range(const DeleteRangeRequest& request, DeleteRangeResponse& out);
  // The compares see the state before the txn; the ops of the branch taken run in order, each
  // seeing the earlier ones; all its writes share one revision.
  KvError txn(const TxnRequest& request, TxnResponse& out);
  ApplyResult apply(const Command& command);

  Revision revision() const { return revision_; }
  std::size_t key_count() const { return keys_.size(); }
  // Bytes of keys and values held (what Maintenance.Status can report as the db size).
  std::uint64_t data_bytes() const { return data_bytes_; }

  // The whole state (revision included) as bytes; restore() of them gives an equal store.
  std::string save() const;
  // Replaces the state with a save()d one. On malformed bytes returns false with `error` set
  // and leaves the store as it was.
  bool restore(std::string_view bytes, std::string& error);

  bool operator==(const KvStore& other) const {
    return revision_ == other.revision_ && data_bytes_ == other.data_bytes_ && keys_ == other.keys_;
  }

 private:
  // What is kept per key: its current version only.
  struct Record {
    std::string value;
    Revision create_revision = 0;
    Revision mod_revision = 0;
    std::int64_t version = 0;
    bool operator==(const Record&) const = default;
  };
  using Map = std::map<std::string, Record, std::less<>>;
  using Entry = Map::value_type;

  // The key index: every entry of the map, found by hashing its key. A put, or a Range of
  // one key, reaches its entry in about three cache misses instead of a walk down the
  // tree (about 17 at 100,000 keys, which cost each node some 4 us per put under load).
  // It holds pointers to the map's entries, which never move; about 12 bytes per key.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return absl::Hash<std::string_view>{}(key);
    }
    std::size_t operator()(const Entry* e) const { return (*this)(std::string_view(e->first)); }
  };
  struct KeyEq {
    using is_transparent = void;
    static std::string_view key(std::string_view k) { return k; }
    static std::string_view key(const Entry* e) { return e->first; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return key(a) == key(b);
    }
  };
  using Index = absl::flat_hash_set<Entry*, KeyHash, KeyEq>;

  // The entry of `key`, or nullptr.
  Entry* find(std::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : *it;
  }
  void rebuild_index();
  // Calls fn(entry) for every key in [key, range_end) by etcd's conventions, in key order.
  template <typename Fn>
  void for_each_in_range(const std::string& key, const std::string& range_end, Fn&& fn) const;

  KvError check_revision(Revision requested) const;
  // What a put needs of the state: no lease (none exists), and for ignore_value or
  // ignore_lease a key to take them from.
  KvError check_put(const PutRequest& request, bool in_txn) const;
  RangeResponse range_at(const RangeRequest& request, Revision header_revision) const;
  void put_at(const PutRequest& request, Revision revision, PutResponse& out);
  std::int64_t delete_at(const DeleteRangeRequest& request, Revision revision,
                         DeleteRangeResponse& out);
  bool compare_holds(const Compare& compare) const;
  static KeyValue to_key_value(const Map::value_type& entry, bool keys_only = false);

  Map keys_;
  Index index_;  // of keys_
  Revision revision_ = 1;
  std::uint64_t data_bytes_ = 0;
};

}  // namespace faultline::kv
