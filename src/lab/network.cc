// The lab's namespaces, bridge and nftables rules (see network.h).
#include "lab/network.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace faultline::lab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNetnsDir = "/run/netns";
constexpr const char* kPrefix = "flt-";
constexpr const char* kTable = "faultline";

// Reads everything from fd until EOF (bounded: tools here print little).
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (out.size() < (1u << 20)) out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return out;
  }
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

bool valid_run_id(const std::string& id) {
  return !id.empty() && id.size() <= 6 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

}  // namespace

std::string run_tool(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw LabError("pipe: " + std::string(std::strerror(errno)));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw LabError("pipe: " + std::string(std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    throw LabError("cannot run " + argv[0] + ": " + std::strerror(rc) +
                   " (is it installed? scripts/setup.sh installs the lab's packages)");
  }
  // The input is small (an nftables ruleset), far below the pipe's buffer.
  if (!input.empty()) {
    [[maybe_unused]] ssize_t w = ::write(in[1], input.data(), input.size());
  }
  ::close(in[1]);
  std::string output = drain(out[0]);
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw LabError("`" + join(argv) + "` failed: " + output);
  }
  return output;
}

bool have_network_privileges() {
  if (::geteuid() != 0) return false;
  // Root without CAP_SYS_ADMIN (a restricted container) still cannot make namespaces.
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
      constexpr unsigned long long kSysAdmin = 1ull << 21, kNetAdmin = 1ull << 12;
      return (caps & kSysAdmin) && (caps & kNetAdmin);
    }
  }
  return false;
}

LabNetwork LabNetwork::create(const NetworkPlan& plan) {
  if (!valid_run_id(plan.run_id)) {
    throw LabError("run id must be 1-6 characters of [a-z0-9], got '" + plan.run_id + "'");
  }
  if (plan.nodes < 1 || plan.nodes > 9) {
    throw LabError("the lab runs 1 to 9 nodes, not " + std::to_string(plan.nodes));
  }
  if (!have_network_privileges()) {
    throw LabError(
        "the namespace lab needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); run as root, or use "
        "--net loopback (faultline only)");
  }
  LabNetwork net(plan);
  for (const auto& ns : leftover_namespaces()) {
    if (ns.rfind(net.prefix(), 0) == 0) {
      throw LabError("namespace " + ns +
                     " is left from an earlier run with the same id; run `faultline lab clean`");
    }
  }
  try {
    const std::string sw = net.switch_namespace();
    run_tool({"ip", "netns", "add", sw});
    net.made_.push_back(sw);
    run_tool({"ip", "-n", sw, "link", "add", "br0", "type", "bridge"});
    run_tool({"ip", "-n", sw, "link", "set", "br0", "up"});
    // Node namespaces 1..n, then the client (index 0 in the loop below maps to "cl").
    for (int i = 1; i <= plan.nodes + 1; ++i) {
      bool client = i == plan.nodes + 1;
      std::string ns = client ? net.client_namespace() : net.node_namespace(i);
      std::string addr = client ? net.client_address() : net.node_address(i);
      std::string port = client ? std::string("cl") : net.port_name(i);
      run_tool({"ip", "netns", "add", ns});
      net.made_.push_back(ns);
      run_tool({"ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
                "netns", sw});
      run_tool({"ip", "-n", sw, "link", "set", port, "master", "br0", "up"});
      run_tool({"ip", "-n", ns, "addr", "add", addr + "/24", "dev", "eth0"});
      run_tool({"ip", "-n", ns, "link", "set", "eth0", "up"});
      run_tool({"ip", "-n", ns, "link", "set", "lo", "up"});
      // Without it the kernel drops 127.x packets arriving on eth0 as martians.
      run_tool({"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"});
    }
    net.set_links({});
  } catch (...) {
    net.teardown();
    throw;
  }
  return net;
}

LabNetwork::LabNetwork(LabNetwork&& other) noexcept
    : plan_(std::move(other.plan_)),
      made_(std::move(other.made_)),
      rules_(std::move(other.rules_)),
      torn_down_(other.torn_down_) {
  other.torn_down_ = true;
  other.made_.clear();
}

LabNetwork::~LabNetwork() {
  try {
    teardown();
  } catch (...) {
    // A destructor must not throw; `faultline lab clean` removes what is left.
  }
}

std::string LabNetwork::prefix() const { return kPrefix + plan_.run_id + "-"; }
std::string LabNetwork::node_namespace(int node) const {
  return prefix() + "n" + std::to_string(node);
}
std::string LabNetwork::node_address(int node) const {
  return plan_.subnet + "." + std::to_string(node);
}
std::string LabNetwork::client_namespace() const { return prefix() + "cl"; }
std::string LabNetwork::client_address() const { return plan_.subnet + ".100"; }
std::string LabNetwork::switch_namespace() const { return prefix() + "sw"; }
std::string LabNetwork::port_name(int node) const { return "n" + std::to_string(node); }

std::string LabNetwork::set_links(const std::vector<LinkRule>& rules) {
  for (const auto& r : rules) {
    if (r.from < 1 || r.from > plan_.nodes || r.to < 1 || r.to > plan_.nodes || r.from == r.to) {
      throw LabError("link " + std::to_string(r.from) + " -> " + std::to_string(r.to) +
                     " is not between two distinct nodes of this lab");
    }
    if (!(r.loss > 0.0 && r.loss <= 1.0)) {
      throw LabError("loss on a link must be in (0, 1], got " + std::to_string(r.loss));
    }
  }
  // One transaction: the table is created if missing, flushed and refilled, so the rule
  // set changes atomically (no moment with half the cuts).
  std::ostringstream nft;
  nft << "table bridge " << kTable << " {\n  chain forward {\n"
      << "    type filter hook forward priority 0; policy accept;\n  }\n}\n"
      << "flush table bridge " << kTable << "\n"
      << "table bridge " << kTable << " {\n  chain forward {\n"
      << "    type filter hook forward priority 0; policy accept;\n";
  for (const auto& r : rules) {
    nft << "    iifname \"" << port_name(r.from) << "\" oifname \"" << port_name(r.to) << "\"";
    if (r.loss < 1.0) {
      int percent = static_cast<int>(r.loss * 100.0 + 0.5);
      nft << " numgen random mod 100 < " << percent;
    }
    nft << " drop\n";
  }
  nft << "  }\n}\n";
  std::string text = nft.str();
  run_tool({"ip", "netns", "exec", switch_namespace(), "nft", "-f", "-"}, text);
  rules_ = rules;
  return text;
}

void LabNetwork::teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  std::string first_error;
  // Deleting the namespaces removes the veths, the bridge and the nftables table with them.
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    try {
      run_tool({"ip", "netns", "del", *it});
    } catch (const LabError& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  made_.clear();
  if (!first_error.empty()) throw LabError(first_error);
}

std::vector<std::string> leftover_namespaces() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kNetnsDir, ec)) {
    std::string name = e.path().filename();
    if (name.rfind(kPrefix, 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> remove_leftovers(const std::vector<std::string>& namespaces) {
  std::vector<std::string> done;
  // A process belongs to a namespace when /proc/PID/ns/net is the same inode as the
  // namespace's bind mount under /run/netns.
  std::vector<std::pair<ino_t, std::string>> inodes;
  for (const auto& ns : namespaces) {
    struct stat st {};
    if (::stat((std::string(kNetnsDir) + "/" + ns).c_str(), &st) == 0) {
      inodes.emplace_back(st.st_ino, ns);
    }
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string pid_text = e.path().filename();
    if (pid_text.empty() || !std::all_of(pid_text.begin(), pid_text.end(), ::isdigit)) continue;
    struct stat st {};
    if (::stat((e.path() / "ns" / "net").c_str(), &st) != 0) continue;
    for (const auto& [ino, ns] : inodes) {
      if (st.st_ino == ino) {
        pid_t pid = static_cast<pid_t>(std::stol(pid_text));
        if (pid != ::getpid() && ::kill(pid, SIGKILL) == 0) {
          done.push_back("killed process " + pid_text + " in " + ns);
        }
      }
    }
  }
  for (const auto& ns : namespaces) {
    try {
      run_tool({"ip", "netns", "del", ns});
      done.push_back("removed namespace " + ns);
    } catch (const LabError& e) {
      done.push_back("could not remove namespace " + ns + ": " + e.what());
    }
  }
  return done;
}

}  // namespace faultline::lab
