// What the reliability tests ask of a live cluster: a leader everyone agrees on, a barrier
// after which every running node has applied every earlier write, and the check that each
// acknowledged write is on every node with its value (read from the node's own state).
// Also a reader of the WAL's documented record layout (src/storage/wal.h), to tear or
// corrupt a record exactly where a test means to.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "client/drivers.h"
#include "client/kv_client.h"
#include "local_cluster.h"

namespace faultline::reliability {

// The faultline binary: FAULTLINE_BINARY from CMake, unless the environment variable
// FAULTLINE_RELIABILITY_BINARY names another (to try the tests against another build).
std::string faultline_binary();

// Waits until every endpoint answers and all agree on a leader; its endpoint index.
std::optional<std::size_t> wait_for_leader(client::AsyncKvClient& kv,
                                           std::chrono::milliseconds timeout);

// The endpoint named leader by most of the nodes that answer within `timeout` (nullopt if
// none names one). Looser than find_leader_endpoint: for picking a victim, not for checks.
std::optional<std::size_t> likely_leader(client::AsyncKvClient& kv,
                                         std::chrono::milliseconds timeout);

// Writes a fresh key (retrying through any node), then waits until every running node
// serves it from its own state. Raft applies in log order, so afterwards every write
// acknowledged before the barrier is applied on every running node. Returns an empty string
// on success, else what did not happen.
std::string barrier(LocalCluster& cluster, client::AsyncKvClient& kv,
                    std::chrono::milliseconds timeout);

struct WriteCheck {
  std::uint64_t acknowledged = 0;
  std::uint64_t checked_reads = 0;
  std::uint64_t missing = 0;      // acknowledged but absent on some node
  std::uint64_t wrong_value = 0;  // present with a value no write put there
  std::uint64_t read_errors = 0;
  std::vector<std::string> examples;  // the first few problems, for the failure message
};

// Reads every key written in `run` from every running node (serializable reads: the node's
// own state) and compares: an acknowledged write must be there with its value; any write
// that is there (acknowledged or not) must hold the value written. Needs key_per_write and
// keep_values in the workload.
WriteCheck check_writes(LocalCluster& cluster, client::AsyncKvClient& kv,
                        const client::DriveResult& run);
std::string describe(const WriteCheck& check);

// One record of a WAL segment, as laid out in src/storage/wal.h: a 13-byte header
// (u32 length, u8 type, u32 payload CRC, u32 header CRC), then `length` payload bytes.
struct WalRecordSpan {
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::uint8_t type = 0;  // 1 segment header, 2 entry, 3 hard state, 4 snapshot marker
};
inline constexpr std::uint64_t kWalRecordHeaderBytes = 13;
// Walks the records from the start; stops at the first one that does not fit.
std::vector<WalRecordSpan> wal_records(const std::filesystem::path& segment);
std::string read_file(const std::filesystem::path& file);

}  // namespace faultline::reliability
