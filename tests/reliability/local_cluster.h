// A real `faultline serve` cluster for the reliability tests: N processes on 127.0.0.1
// with free ports and data directories under a fresh temporary folder. Nodes can be
// killed with SIGKILL and restarted on the same data directory. Every process it started
// is killed and reaped by the destructor, also when a test fails; and a node dies with the
// test process (PR_SET_PDEATHSIG), so a crashed test leaves nothing running.
//
// Set FAULTLINE_RELIABILITY_KEEP to keep the folder (data and logs) for a look afterwards.
//
// Start and kill nodes from the thread that owns the cluster: the death signal is tied to
// the thread that forked, so a node started from a short-lived thread would die with it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace faultline::reliability {

struct NodeProcess {
  std::string name;
  int peer_port = 0;
  int client_port = 0;
  std::filesystem::path data_dir;
  std::filesystem::path stdout_log;
  std::filesystem::path stderr_log;
  pid_t pid = -1;
};

class LocalCluster {
 public:
  // `binary` is the faultline executable; nothing starts until start()/start_all().
  LocalCluster(std::string binary, int size, int heartbeat_ms = 50, int election_ms = 500);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  const NodeProcess& node(int i) const { return nodes_.at(i); }
  std::vector<std::string> endpoints() const;  // host:port of each node's client URL
  // The node's write-ahead-log segments, oldest first.
  std::vector<std::filesystem::path> wal_segments(int i) const;

  void start(int i);  // throws std::logic_error if it is running
  void start_all();
  void kill9(int i);  // SIGKILL and reap; no-op if it is not running
  void kill_all();
  bool running(int i);
  // Waits up to `timeout` for node i to exit by itself; its exit code (128 + signal for a
  // signal), or nullopt if it is still running.
  std::optional<int> wait_exit(int i, std::chrono::milliseconds timeout);
  // The last `bytes` of both logs of node i, for failure messages.
  std::string log_tail(int i, std::size_t bytes = 1500) const;
  std::string stderr_of(int i) const;
  // Nodes found dead (not by our hand) when kill9() came for them.
  const std::vector<std::string>& unexpected_exits() const { return unexpected_exits_; }

 private:
  std::string binary_;
  int heartbeat_ms_;
  int election_ms_;
  std::filesystem::path root_;
  std::string initial_cluster_;
  std::string token_;
  std::vector<NodeProcess> nodes_;
  std::vector<std::string> unexpected_exits_;
};

}  // namespace faultline::reliability
