#include "cluster_checks.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace faultline::reliability {

using namespace std::chrono_literals;
using client::Clock;

std::string faultline_binary() {
  if (const char* other = std::getenv("FAULTLINE_RELIABILITY_BINARY")) return other;
  return FAULTLINE_BINARY;
}

std::optional<std::size_t> wait_for_leader(client::AsyncKvClient& kv,
                                           std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    // Every endpoint must answer, not only agree: a node whose port is not open yet would
    // make the first requests sent to it fail fast while gRPC backs off.
    bool all_answer = true;
    for (std::size_t e = 0; e < kv.endpoint_count() && all_answer; ++e) {
      all_answer = kv.status_blocking(kv.connection_for(e, 0), 500ms).has_value();
    }
    if (all_answer) {
      if (auto leader = client::find_leader_endpoint(kv, 500ms)) return leader;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(100ms);
  }
}

std::optional<std::size_t> likely_leader(client::AsyncKvClient& kv,
                                         std::chrono::milliseconds timeout) {
  std::map<std::uint64_t, int> votes;
  std::map<std::uint64_t, std::size_t> endpoint_of_member;
  for (std::size_t e = 0; e < kv.endpoint_count(); ++e) {
    auto status = kv.status_blocking(kv.connection_for(e, 0), timeout);
    if (!status) continue;
    endpoint_of_member[status->member_id] = e;
    if (status->leader != 0) ++votes[status->leader];
  }
  std::optional<std::size_t> best;
  int best_votes = 0;
  for (auto [member, count] : votes) {
    auto it = endpoint_of_member.find(member);
    if (count > best_votes && it != endpoint_of_member.end()) {
      best = it->second;
      best_votes = count;
    }
  }
  return best;
}

std::string barrier(LocalCluster& cluster, client::AsyncKvClient& kv,
                    std::chrono::milliseconds timeout) {
  static std::atomic<int> barriers{0};
  const std::string key = "barrier/" + std::to_string(barriers++);
  const auto deadline = Clock::now() + timeout;
  std::string last_error;
  bool written = false;
  for (std::uint64_t attempt = 0; !written && Clock::now() < deadline; ++attempt) {
    std::size_t endpoint = attempt % kv.endpoint_count();
    if (!cluster.running(static_cast<int>(endpoint))) continue;
    auto reply = kv.put_blocking(kv.connection_for(endpoint, 0), key, "x", 2s);
    written = reply.outcome == record::Outcome::ok;
    if (!written) {
      last_error = reply.error;
      std::this_thread::sleep_for(100ms);
    }
  }
  if (!written) return "the barrier write never succeeded: " + last_error;
  for (int node = 0; node < cluster.size(); ++node) {
    if (!cluster.running(node)) continue;
    while (true) {
      auto reply = kv.get_blocking(kv.connection_for(static_cast<std::size_t>(node), 0), key,
                                   client::ReadConsistency::serializable, 2s);
      if (reply.outcome == record::Outcome::ok && reply.found) break;
      if (Clock::now() >= deadline) {
        return cluster.node(node).name + " never applied the barrier write (" +
               (reply.error.empty() ? "not found" : reply.error) + ")";
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  return "";
}

WriteCheck check_writes(LocalCluster& cluster, client::AsyncKvClient& kv,
                        const client::DriveResult& run) {
  WriteCheck check;
  std::vector<const record::Operation*> writes;
  for (const auto& op : run.ops) {
    if (op.kind != record::OpKind::write) continue;
    writes.push_back(&op);
    check.acknowledged += op.outcome == record::Outcome::ok;
  }
  std::mutex mutex;
  std::condition_variable done;
  auto note = [&](std::string problem) {
    if (check.examples.size() < 8) check.examples.push_back(std::move(problem));
  };
  constexpr std::size_t kWindow = 128;  // reads in flight at once
  for (int node = 0; node < cluster.size(); ++node) {
    if (!cluster.running(node)) {
      note(cluster.node(node).name + " is not running");
      ++check.read_errors;
      continue;
    }
    const std::size_t connection = kv.connection_for(static_cast<std::size_t>(node), 0);
    std::size_t outstanding = 0;
    for (const record::Operation* op : writes) {
      std::unique_lock lock(mutex);
      done.wait(lock, [&] { return outstanding < kWindow; });
      ++outstanding;
      lock.unlock();
      kv.get(connection, op->key, client::ReadConsistency::serializable, Clock::now() + 5s,
             [&, op, node](client::KvReply&& reply) {
               std::lock_guard guard(mutex);
               ++check.checked_reads;
               const std::string where = cluster.node(node).name + " key " + op->key;
               if (reply.outcome != record::Outcome::ok) {
                 ++check.read_errors;
                 note(where + ": read failed: " + reply.error);
               } else if (!reply.found) {
                 if (op->outcome == record::Outcome::ok) {
                   ++check.missing;
                   note(where + ": acknowledged write missing");
                 }
               } else if (reply.value != op->value) {
                 ++check.wrong_value;
                 note(where + ": holds '" + reply.value.substr(0, 24) + "...', wrote '" +
                      op->value.substr(0, 24) + "...'");
               }
               --outstanding;
               done.notify_all();
             });
    }
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return outstanding == 0; });
  }
  return check;
}

std::string describe(const WriteCheck& c) {
  std::ostringstream out;
  out << c.acknowledged << " acknowledged writes, " << c.checked_reads << " reads: " << c.missing
      << " missing, " << c.wrong_value << " wrong, " << c.read_errors << " read errors";
  for (const auto& e : c.examples) out << "\n  " << e;
  return out.str();
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

std::vector<WalRecordSpan> wal_records(const std::filesystem::path& segment) {
  const std::string bytes = read_file(segment);
  auto u32 = [&](std::uint64_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  std::vector<WalRecordSpan> out;
  std::uint64_t offset = 0;
  while (offset + kWalRecordHeaderBytes <= bytes.size()) {
    WalRecordSpan r{offset, u32(offset), static_cast<std::uint8_t>(bytes[offset + 4])};
    if (r.type < 1 || r.type > 4 || offset + kWalRecordHeaderBytes + r.length > bytes.size()) {
      break;
    }
    out.push_back(r);
    offset += kWalRecordHeaderBytes + r.length;
  }
  return out;
}

}  // namespace faultline::reliability
