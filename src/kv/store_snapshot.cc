// Serialization of the whole key-value state (for Raft snapshots). Layout (version 1):
//   magic "faultKV" + u8 version, zigzag revision, varint key count, then per key in key
//   order: bytes key, bytes value, zigzag create_revision, zigzag mod_revision, zigzag version.
// restore() checks every invariant a save() guarantees (keys sorted and unique, revisions in
// order and not past the store's revision, a key's version no more than the revisions it
// lived through) before it replaces anything.
#include "kv/byte_codec.h"
#include "kv/store.h"

namespace faultline::kv {
namespace {

constexpr std::string_view kSnapshotMagic = "faultKV";
constexpr std::uint8_t kSnapshotVersion = 1;
// Far beyond any real store (a million writes a second for 140,000 years) and far enough
// from INT64_MAX that the next write's revision + 1 cannot overflow. Only a damaged
// snapshot carries more.
constexpr Revision kMaxRevision = Revision{1} << 62;

}  // namespace

std::string KvStore::save() const {
  std::string out;
  out.reserve(32 + data_bytes_ + keys_.size() * 16);
  out.append(kSnapshotMagic);
  ByteWriter w(out);
  w.u8(kSnapshotVersion);
  w.zigzag(revision_);
  w.varint(keys_.size());
  for (const auto& [key, rec] : keys_) {
    w.bytes(key);
    w.bytes(rec.value);
    w.zigzag(rec.create_revision);
    w.zigzag(rec.mod_revision);
    w.zigzag(rec.version);
  }
  return out;
}

bool KvStore::restore(std::string_view bytes, std::string& error) {
  if (!bytes.starts_with(kSnapshotMagic)) {
    error = "not a kv snapshot (bad magic)";
    return false;
  }
  ByteReader in(bytes.substr(kSnapshotMagic.size()));
  const std::uint8_t version = in.u8("version");
  if (in.ok() && version != kSnapshotVersion) {
    in.fail("unsupported kv snapshot version " + std::to_string(version));
  }
  const Revision revision = in.zigzag("revision");
  if (in.ok() && revision < 1) in.fail("revision below 1");
  if (in.ok() && revision >= kMaxRevision)
    in.fail("revision " + std::to_string(revision) + " out of range");
  const std::uint64_t count = in.count("key count");

  Map keys;
  std::uint64_t data_bytes = 0;
  for (std::uint64_t i = 0; i < count && in.ok(); ++i) {
    const std::string_view key = in.bytes("key");
    const std::string_view value = in.bytes("value");
    Record rec{std::string(value), in.zigzag("create_revision"), in.zigzag("mod_revision"),
               in.zigzag("version")};
    if (!in.ok()) break;
    if (key.empty()) in.fail("empty key");
    if (!keys.empty() && key <= std::string_view(keys.rbegin()->first)) {
      in.fail("keys out of order");
    }
    if (rec.create_revision < 1 || rec.mod_revision < rec.create_revision ||
        rec.mod_revision > revision || rec.version < 1 ||
        rec.version > rec.mod_revision - rec.create_revision + 1) {
      in.fail("revisions of key '" + std::string(key) + "' are inconsistent");
    }
    if (!in.ok()) break;
    data_bytes += key.size() + value.size();
    keys.emplace_hint(keys.end(), std::string(key), std::move(rec));
  }
  if (in.ok() && !in.at_end()) in.fail("trailing bytes after the last key");
  if (!in.ok()) {
    error = "malformed kv snapshot: " + in.error();
    return false;
  }
  keys_ = std::move(keys);
  rebuild_index();
  revision_ = revision;
  data_bytes_ = data_bytes;
  return true;
}

}  // namespace faultline::kv
