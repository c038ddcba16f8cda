#include "local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/ports.h"

namespace faultline::reliability {
namespace {

std::string tail_of(const std::filesystem::path& file, std::size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() > bytes ? "..." + text.substr(text.size() - bytes) : text;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

LocalCluster::LocalCluster(std::string binary, int size, int heartbeat_ms, int election_ms)
    : binary_(std::move(binary)), heartbeat_ms_(heartbeat_ms), election_ms_(election_ms) {
  if (!std::filesystem::exists(binary_)) {
    throw std::runtime_error("no faultline binary at " + binary_);
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "faultline-reliability-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  root_ = pattern;
  token_ = "reliability-" + root_.filename().string();
  auto ports = faultline::testing::free_ports(2 * size);
  for (int i = 0; i < size; ++i) {
    NodeProcess n;
    n.name = "n" + std::to_string(i + 1);
    n.peer_port = ports[2 * i];
    n.client_port = ports[2 * i + 1];
    n.data_dir = root_ / n.name;
    n.stdout_log = root_ / (n.name + ".out");
    n.stderr_log = root_ / (n.name + ".err");
    if (!initial_cluster_.empty()) initial_cluster_ += ',';
    initial_cluster_ += n.name + "=http://127.0.0.1:" + std::to_string(n.peer_port);
    nodes_.push_back(std::move(n));
  }
}

LocalCluster::~LocalCluster() {
  kill_all();
  if (::testing::Test::HasFailure()) {
    for (const auto& exit : unexpected_exits_) std::cerr << exit << '\n';
    for (int i = 0; i < size(); ++i) {
      std::cerr << "---- " << nodes_[i].name << " (logs in " << root_ << ")\n"
                << log_tail(i) << '\n';
    }
  }
  if (std::getenv("FAULTLINE_RELIABILITY_KEEP") != nullptr) {
    std::cerr << "kept " << root_ << '\n';
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::vector<std::string> LocalCluster::endpoints() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) out.push_back("127.0.0.1:" + std::to_string(n.client_port));
  return out;
}

std::vector<std::filesystem::path> LocalCluster::wal_segments(int i) const {
  std::vector<std::filesystem::path> out;
  auto dir = nodes_.at(i).data_dir / "member" / "wal";
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".wal") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());  // names start with the zero-padded sequence number
  return out;
}

void LocalCluster::start(int i) {
  NodeProcess& n = nodes_.at(i);
  if (n.pid > 0) throw std::logic_error(n.name + " is already running");
  const std::string peer = "http://127.0.0.1:" + std::to_string(n.peer_port);
  const std::string client = "http://127.0.0.1:" + std::to_string(n.client_port);
  std::vector<std::string> args = {binary_,
                                   "serve",
                                   "--name",
                                   n.name,
                                   "--data-dir",
                                   n.data_dir.string(),
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--initial-cluster",
                                   initial_cluster_,
                                   "--initial-cluster-token",
                                   token_,
                                   "--initial-cluster-state",
                                   "new",
                                   "--heartbeat-interval",
                                   std::to_string(heartbeat_ms_),
                                   "--election-timeout",
                                   std::to_string(election_ms_)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Everything the child needs is prepared before fork: between fork and exec a
  // multithreaded parent's child may only make async-signal-safe calls.
  int out = ::open(n.stdout_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err = ::open(n.stderr_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) throw std::runtime_error("cannot open the logs of " + n.name);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  n.pid = pid;
}

void LocalCluster::start_all() {
  for (int i = 0; i < size(); ++i) start(i);
}

void LocalCluster::kill9(int i) {
  NodeProcess& n = nodes_.at(i);
  if (n.pid <= 0) return;
  // A node that died before we killed it is a finding, not a detail: keep its exit code.
  if (auto code = wait_exit(i, std::chrono::milliseconds(0))) {
    unexpected_exits_.push_back(n.name + " exited by itself with code " + std::to_string(*code));
    return;
  }
  ::kill(n.pid, SIGKILL);
  int status = 0;
  while (::waitpid(n.pid, &status, 0) < 0 && errno == EINTR) {
  }
  n.pid = -1;
}

void LocalCluster::kill_all() {
  for (int i = 0; i < size(); ++i) kill9(i);
}

bool LocalCluster::running(int i) {
  if (nodes_.at(i).pid <= 0) return false;
  return !wait_exit(i, std::chrono::milliseconds(0)).has_value();
}

std::optional<int> LocalCluster::wait_exit(int i, std::chrono::milliseconds timeout) {
  NodeProcess& n = nodes_.at(i);
  if (n.pid <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(n.pid, &status, WNOHANG);
    if (r == n.pid) {
      n.pid = -1;
      return exit_code(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string LocalCluster::log_tail(int i, std::size_t bytes) const {
  return "stdout: " + tail_of(nodes_.at(i).stdout_log, bytes) +
         "\nstderr: " + tail_of(nodes_.at(i).stderr_log, bytes);
}

std::string LocalCluster::stderr_of(int i) const {
  return tail_of(nodes_.at(i).stderr_log, 1 << 20);
}

}  // namespace faultline::reliability
