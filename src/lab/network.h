// The lab's network: one network namespace per node, a bridge in a switch namespace of its
// own, and a client namespace on the same bridge that is never cut. Faults are nftables
// rules in the switch namespace's bridge family, one per directed link, so a cut can be
// one-way and the nodes themselves are untouched (etcd is cut exactly like faultline).
//
//   LabNetwork net = LabNetwork::create({.run_id = "a1b2", .nodes = 3});
//   net.node_address(1)      -> "127.0.10.1"   (inside namespace net.node_namespace(1))
//   net.set_links({{.from = 1, .to = 3, .loss = 1.0}});   // cut 1 -> 3
//   net.set_links({});                                    // heal everything
//   net.teardown();          // also done by the destructor
//
// Every name carries the prefix "flt-<run_id>-" so two labs never collide and
// `faultline lab clean` can find what a crashed run left behind. Addresses are in a
// loopback-range subnet by default (route_localnet is set in each namespace), so nothing
// the lab does can ever address a machine outside this one.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace faultline::lab {

// Anything the lab could not do, with what to do about it.
class LabError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NetworkPlan {
  std::string run_id;               // short, [a-z0-9], at most 6 characters
  int nodes = 3;                    // 1..9
  std::string subnet = "127.0.10";  // the first three octets of a /24
};

// A rule on one directed link: drop `loss` of the packets from `from` to `to`
// (1.0 = a clean cut). Nodes are numbered from 1.
struct LinkRule {
  int from = 0;
  int to = 0;
  double loss = 1.0;
  bool operator==(const LinkRule&) const = default;
};

class LabNetwork {
 public:
  // Builds everything; on any failure removes what it made and throws LabError.
  static LabNetwork create(const NetworkPlan& plan);

  LabNetwork(LabNetwork&& other) noexcept;
  LabNetwork& operator=(LabNetwork&&) = delete;
  LabNetwork(const LabNetwork&) = delete;
  ~LabNetwork();

  int nodes() const { return plan_.nodes; }
  std::string prefix() const;                  // "flt-<run_id>-"
  std::string node_namespace(int node) const;  // "flt-<run_id>-n1"
  std::string node_address(int node) const;    // "127.0.10.1"
  std::string client_namespace() const;        // "flt-<run_id>-cl"
  std::string client_address() const;          // "127.0.10.100"
  std::string switch_namespace() const;        // "flt-<run_id>-sw"

  // Replaces the whole rule set in one nftables transaction and returns the ruleset
  // text it applied (recorded in the run record). An empty list heals every link.
  std::string set_links(const std::vector<LinkRule>& rules);
  const std::vector<LinkRule>& links() const { return rules_; }

  // Removes the namespaces (and with them the bridge, veths and rules). Processes inside
  // must be stopped first: a live process keeps its namespace alive.
  void teardown();

  // Forgets the namespaces without removing them: exactly what a crashed lab leaves
  // behind. Only tests of `faultline lab clean` want this.
  void abandon() {
    torn_down_ = true;
    made_.clear();
  }

 private:
  explicit LabNetwork(NetworkPlan plan) : plan_(std::move(plan)) {}
  std::string port_name(int node) const;  // the bridge port of a node ("n1"; client "cl")

  NetworkPlan plan_;
  std::vector<std::string> made_;  // namespaces created so far, for teardown
  std::vector<LinkRule> rules_;
  bool torn_down_ = false;
};

// True when this process may create namespaces and nftables rules.
bool have_network_privileges();

// The names of namespaces that a lab left behind ("flt-*"), for `faultline lab clean`.
std::vector<std::string> leftover_namespaces();

// Kills (SIGKILL) every process living in one of `namespaces`, then deletes them.
// Returns what it did, one line per action.
std::vector<std::string> remove_leftovers(const std::vector<std::string>& namespaces);

// Runs `argv` to completion, feeding `input` on stdin; throws LabError with its stderr
// when it fails. Used for `ip` and `nft`.
std::string run_tool(const std::vector<std::string>& argv, const std::string& input = "");

}  // namespace faultline::lab
