// The key-value state machine's operations, with etcd's revision semantics (store.h).
#include "kv/store.h"

#include <algorithm>
#include <limits>

namespace faultline::kv {
namespace {

bool is_from_key(std::string_view range_end) { return range_end == std::string_view("\0", 1); }

bool has_revision_filter(const RangeRequest& r) {
  return r.min_mod_revision != 0 || r.max_mod_revision != 0 || r.min_create_revision != 0 ||
         r.max_create_revision != 0;
}

}  // namespace

KvStore::KvStore() = default;

KvStore::KvStore(const KvStore& other)
    : keys_(other.keys_), revision_(other.revision_), data_bytes_(other.data_bytes_) {
  rebuild_index();
}

KvStore& KvStore::operator=(const KvStore& other) {
  if (this != &other) {
    keys_ = other.keys_;
    revision_ = other.revision_;
    data_bytes_ = other.data_bytes_;
    rebuild_index();
  }
  return *this;
}

void KvStore::rebuild_index() {
  index_.clear();
  index_.reserve(keys_.size());
  for (Entry& e : keys_) index_.insert(&e);
}

template <typename Fn>
void KvStore::for_each_in_range(const std::string& key, const std::string& range_end,
                                Fn&& fn) const {
  if (range_end.empty()) {
    if (const Entry* e = find(key)) fn(*e);
    return;
  }
  auto it = keys_.lower_bound(key);
  if (is_from_key(range_end)) {
    for (; it != keys_.end(); ++it) fn(*it);
    return;
  }
  if (range_end <= key) return;  // an empty range, as in etcd (not an error)
  auto end = keys_.lower_bound(range_end);
  for (; it != end; ++it) fn(*it);
}

KeyValue KvStore::to_key_value(const Map::value_type& entry, bool keys_only) {
  KeyValue kv;
  kv.key = entry.first;
  kv.create_revision = entry.second.create_revision;
  kv.mod_revision = entry.second.mod_revision;
  kv.version = entry.second.version;
  if (!keys_only) kv.value = entry.second.value;
  return kv;
}

KvError KvStore::check_revision(Revision requested) const {
  if (requested <= 0 || requested == revision_) return KvError::ok;
  return requested > revision_ ? KvError::future_revision : KvError::past_revision;
}

RangeResponse KvStore::range_at(const RangeRequest& r, Revision header_revision) const {
  RangeResponse out;
  out.revision = header_revision;
  // etcd fetches everything when it must filter or sort, else limit + 1 (to know `more`).
  // A sort target other than the key with no sort order also sorts (ascending), but only
  // what the limit let through: etcd does exactly this.
  const bool fetch_all = r.sort_order != SortOrder::none || has_revision_filter(r);
  // A limit no store can reach is no limit (and limit + 1 would overflow at INT64_MAX).
  const bool limited = r.limit > 0 && r.limit < std::numeric_limits<std::int64_t>::max();
  const std::int64_t want = (limited && !fetch_all) ? r.limit + 1 : -1;
  std::vector<const Map::value_type*> found;
  for_each_in_range(r.key, r.range_end, [&](const Map::value_type& e) {
    ++out.count;
    if (!r.count_only && (want < 0 || static_cast<std::int64_t>(found.size()) < want)) {
      found.push_back(&e);
    }
  });
  if (r.count_only) return out;

  auto outside = [&](const Map::value_type* e) {
    const Record& rec = e->second;
    return (r.max_mod_revision != 0 && rec.mod_revision > r.max_mod_revision) ||
           (r.min_mod_revision != 0 && rec.mod_revision < r.min_mod_revision) ||
           (r.max_create_revision != 0 && rec.create_revision > r.max_create_revision) ||
           (r.min_create_revision != 0 && rec.create_revision < r.min_create_revision);
  };
  found.erase(std::remove_if(found.begin(), found.end(), outside), found.end());

  SortOrder order = r.sort_order;
  if (r.sort_target != SortTarget::key && order == SortOrder::none) order = SortOrder::ascend;
  if (order != SortOrder::none) {
    auto less = [target = r.sort_target](const Map::value_type* a, const Map::value_type* b) {
      switch (target) {
        case SortTarget::key:
          return a->first < b->first;
        case SortTarget::version:
          return a->second.version < b->second.version;
        case SortTarget::create:
          return a->second.create_revision < b->second.create_revision;
        case SortTarget::mod:
          return a->second.mod_revision < b->second.mod_revision;
        case SortTarget::value:
          return a->second.value < b->second.value;
      }
      return false;
    };
    if (order == SortOrder::ascend) {
      std::stable_sort(found.begin(), found.end(), less);
    } else {
      std::stable_sort(found.begin(), found.end(), [&](auto* a, auto* b) { return less(b, a); });
    }
  }
  if (r.limit > 0 && static_cast<std::int64_t>(found.size()) > r.limit) {
    found.resize(static_cast<std::size_t>(r.limit));
    out.more = true;
  }
  out.kvs.reserve(found.size());
  for (const Map::value_type* e : found) out.kvs.push_back(to_key_value(*e, r.keys_only));
  return out;
}

KvError KvStore::range(const RangeRequest& request, RangeResponse& out) const {
  if (KvError e = validate(request); e != KvError::ok) return e;
  if (KvError e = check_revision(request.revision); e != KvError::ok) return e;
  out = range_at(request, revision_);
  return KvError::ok;
}

// etcd checks these in two orders: a Put alone looks up its lease first
// (applierV3backend.Put), a put in a txn its key first (checkRequestPut).
KvError KvStore::check_put(const PutRequest& r, bool in_txn) const {
  const bool key_missing = (r.ignore_value || r.ignore_lease) && find(r.key) == nullptr;
  if (in_txn && key_missing) return KvError::key_not_found;
  if (r.lease != 0) return KvError::lease_not_found;
  return key_missing ? KvError::key_not_found : KvError::ok;
}

void KvStore::put_at(const PutRequest& r, Revision revision, PutResponse& out) {
  out.revision = revision;
  out.prev_kv.reset();
  Entry* e = find(r.key);
  if (e == nullptr) {
    auto it = keys_.emplace(r.key, Record{r.value, revision, revision, 1}).first;
    index_.insert(&*it);
    data_bytes_ += r.key.size() + r.value.size();
    return;
  }
  if (r.prev_kv) out.prev_kv = to_key_value(*e);
  Record& rec = e->second;
  if (!r.ignore_value) {
    data_bytes_ = data_bytes_ - rec.value.size() + r.value.size();
    rec.value = r.value;
  }
  rec.mod_revision = revision;
  ++rec.version;
}

KvError KvStore::put(const PutRequest& request, PutResponse& out) {
  if (KvError e = validate(request); e != KvError::ok) return e;
  if (KvError e = check_put(request, /*in_txn=*/false); e != KvError::ok) return e;
  put_at(request, revision_ + 1, out);
  revision_ += 1;
  return KvError::ok;
}

std::int64_t KvStore::delete_at(const DeleteRangeRequest& r, Revision revision,
                                DeleteRangeResponse& out) {
  std::vector<std::string> doomed;
  out.prev_kvs.clear();
  for_each_in_range(r.key, r.range_end, [&](const Map::value_type& e) {
    if (r.prev_kv) out.prev_kvs.push_back(to_key_value(e));
    doomed.push_back(e.first);
  });
  for (const std::string& key : doomed) {
    auto it = keys_.find(key);
    data_bytes_ -= it->first.size() + it->second.value.size();
    index_.erase(std::string_view(key));
    keys_.erase(it);
  }
  out.deleted = static_cast<std::int64_t>(doomed.size());
  out.revision = doomed.empty() ? revision - 1 : revision;
  return out.deleted;
}

KvError KvStore::delete_range(const DeleteRangeRequest& request, DeleteRangeResponse& out) {
  if (KvError e = validate(request); e != KvError::ok) return e;
  if (delete_at(request, revision_ + 1, out) > 0) revision_ += 1;
  return KvError::ok;
}

bool KvStore::compare_holds(const Compare& c) const {
  auto holds = [&](const Record* rec) {
    int order = 0;
    auto three_way = [](std::int64_t a, std::int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); };
    switch (c.target) {
      case CompareTarget::value: {
        const int cmp = (rec ? std::string_view(rec->value) : std::string_view()).compare(c.value);
        order = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
        break;
      }
      case CompareTarget::version:
        order = three_way(rec ? rec->version : 0, c.version);
        break;
      case CompareTarget::create:
        order = three_way(rec ? rec->create_revision : 0, c.create_revision);
        break;
      case CompareTarget::mod:
        order = three_way(rec ? rec->mod_revision : 0, c.mod_revision);
        break;
      case CompareTarget::lease:
        order = three_way(0, c.lease);  // no leases: every key's lease is 0
        break;
    }
    switch (c.result) {
      case CompareResult::equal:
        return order == 0;
      case CompareResult::not_equal:
        return order != 0;
      case CompareResult::greater:
        return order > 0;
      case CompareResult::less:
        return order < 0;
    }
    return false;
  };
  bool any = false;
  bool all = true;
  for_each_in_range(c.key, c.range_end, [&](const Map::value_type& e) {
    any = true;
    all = all && holds(&e.second);
  });
  if (any) return all;
  // etcd: a value compare on missing keys always fails; other targets compare them as 0.
  return c.target != CompareTarget::value && holds(nullptr);
}

KvError KvStore::txn(const TxnRequest& request, TxnResponse& out) {
  if (KvError e = validate(request); e != KvError::ok) return e;
  const bool succeeded = std::all_of(request.compare.begin(), request.compare.end(),
                                     [&](const Compare& c) { return compare_holds(c); });
  const std::vector<RequestOp>& ops = succeeded ? request.success : request.failure;

  // The branch taken is checked before anything changes, as etcd does: its puts against the
  // state before the txn, then its ranges' revisions. A range after a write in the same txn
  // cannot read the revision before it (no history is kept).
  for (auto op = ops.begin(); op != ops.end(); ++op) {
    const auto* p = std::get_if<PutRequest>(&*op);
    if (p == nullptr) continue;
    if (KvError e = check_put(*p, /*in_txn=*/true); e != KvError::ok) return e;
    // A delete to the end ("\0") before the put, which the duplicate check lets through
    // (validate.cc), leaves ignore_* no key to take from: etcd 3.4 panics; this refuses.
    const bool emptied = std::any_of(ops.begin(), op, [&](const RequestOp& earlier) {
      const auto* d = std::get_if<DeleteRangeRequest>(&earlier);
      return d != nullptr && d->range_end == std::string_view("\0", 1) && p->key >= d->key;
    });
    if (emptied && (p->ignore_value || p->ignore_lease)) return KvError::key_not_found;
  }
  bool write_before = false;
  for (const RequestOp& op : ops) {
    if (const auto* r = std::get_if<RangeRequest>(&op)) {
      if (KvError e = check_revision(r->revision); e != KvError::ok) return e;
      if (write_before && r->revision > 0) return KvError::past_revision;
    } else {
      write_before = true;
    }
  }

  const Revision txn_revision = revision_ + 1;
  bool changed = false;
  out = TxnResponse{};
  out.succeeded = succeeded;
  out.responses.reserve(ops.size());
  for (const RequestOp& op : ops) {
    if (const auto* r = std::get_if<RangeRequest>(&op)) {
      out.responses.emplace_back(range_at(*r, changed ? txn_revision : revision_));
    } else if (const auto* p = std::get_if<PutRequest>(&op)) {
      PutResponse put;
      put_at(*p, txn_revision, put);
      changed = true;
      out.responses.emplace_back(std::move(put));
    } else {
      DeleteRangeResponse del;
      if (delete_at(std::get<DeleteRangeRequest>(op), txn_revision, del) > 0) changed = true;
      del.revision = changed ? txn_revision : revision_;
      out.responses.emplace_back(std::move(del));
    }
  }
  if (changed) revision_ = txn_revision;
  out.revision = revision_;
  return KvError::ok;
}

ApplyResult KvStore::apply(const Command& command) {
  ApplyResult result;
  std::visit(
      [&](const auto& request) {
        using Request = std::decay_t<decltype(request)>;
        if constexpr (std::is_same_v<Request, PutRequest>) {
          result.error = put(request, result.response.template emplace<PutResponse>());
        } else if constexpr (std::is_same_v<Request, DeleteRangeRequest>) {
          result.error =
              delete_range(request, result.response.template emplace<DeleteRangeResponse>());
        } else {
          result.error = txn(request, result.response.template emplace<TxnResponse>());
        }
      },
      command.request);
  if (result.error != KvError::ok) result.response = std::monostate{};
  return result;
}

}  // namespace faultline::kv
