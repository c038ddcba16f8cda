// The lab's driver (see runner.h). The fault timeline is in fault_timeline.cc.
#include "lab/runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <thread>

#include "client/drivers.h"
#include "client/kv_client.h"
#include "client/workload.h"
#include "lab/etcd.h"
#include "lab/fault_timeline.h"
#include "lab/store_check.h"

namespace faultline::lab {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSampleEvery = std::chrono::milliseconds(100);
constexpr auto kSampleDeadline = std::chrono::milliseconds(80);
// etcd's first election can take a few seconds on a loaded machine; past this the cluster
// is broken, not slow.
constexpr auto kHealthyWithin = std::chrono::seconds(30);
// 100 ms samples for a day per node: far above any scenario, a bound all the same.
constexpr std::size_t kMaxSamplesPerNode = 864'000;

std::atomic<bool> g_stop_requested{false};
void on_stop_signal(int) { g_stop_requested.store(true); }

// SIGINT/SIGTERM set a flag that the run's loops check; the previous handlers come back
// when the run ends.
class StopSignals {
 public:
  StopSignals() {
    g_stop_requested.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

std::string base36(std::uint64_t v) {
  std::string s;
  do {
    s.insert(s.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]);
    v /= 36;
  } while (v > 0);
  return s;
}

// Lab run ids are "l" + the pid in base 36, so a leftover names the process that made it.
std::string lab_run_id() { return "l" + base36(static_cast<std::uint64_t>(::getpid())); }

std::optional<pid_t> owner_of(const std::string& ns) {
  // "flt-<run_id>-<suffix>"
  if (ns.rfind("flt-l", 0) != 0) return std::nullopt;
  auto dash = ns.find('-', 4);
  if (dash == std::string::npos) return std::nullopt;
  const std::string id = ns.substr(5, dash - 5);
  if (id.empty() || id.size() > 5) return std::nullopt;
  std::uint64_t pid = 0;
  for (char c : id) {
    const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    const char* p = std::strchr(digits, c);
    if (p == nullptr || c == '\0') return std::nullopt;
    pid = pid * 36 + static_cast<std::uint64_t>(p - digits);
  }
  return static_cast<pid_t>(pid);
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// Moves the calling thread into a network namespace; returns false with errno set.
bool enter_namespace(int fd) { return ::setns(fd, CLONE_NEWNET) == 0; }

// Every node's latest sample plus the whole series, filled by one observer thread per node.
class Observers {
 public:
  Observers(LabCluster& cluster, int nodes)
      : cluster_(cluster),
        latest_(static_cast<std::size_t>(nodes)),
        series_(static_cast<std::size_t>(nodes)),
        taken_(static_cast<std::size_t>(nodes), 0) {
    for (auto& s : latest_) s.role = record::Role::down;
    for (int k = 1; k <= nodes; ++k)
      threads_.emplace_back([this, k](std::stop_token stop) { observe(k, stop); });
  }
  ~Observers() { stop(); }

  void stop() {
    for (auto& t : threads_) t.request_stop();
    threads_.clear();  // joins
  }
  // From now on samples are recorded, timed from `origin`.
  void start_recording(Clock::time_point origin) {
    std::lock_guard lock(mutex_);
    origin_ = origin;
    recording_ = true;
  }
  std::vector<record::NodeSample> latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
  }
  // The latest samples once each of `nodes` has a sample begun after this call (the second
  // one to complete from now on), or, at the latest after `within`, whatever they have.
  std::vector<record::NodeSample> fresh(const std::vector<int>& nodes,
                                        Clock::duration within) const {
    std::unique_lock lock(mutex_);
    const std::vector<std::uint64_t> before = taken_;
    sampled_.wait_for(lock, within, [&] {
      return std::all_of(nodes.begin(), nodes.end(), [&](int k) {
        const auto i = static_cast<std::size_t>(k - 1);
        return taken_[i] >= before[i] + 2;
      });
    });
    return latest_;
  }
  std::vector<record::NodeSample> all_samples() const {
    std::lock_guard lock(mutex_);
    std::vector<record::NodeSample> out;
    for (const auto& s : series_) out.insert(out.end(), s.begin(), s.end());
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.time_us < b.time_us; });
    return out;
  }

 private:
  void observe(int node, std::stop_token stop) {
    auto next = Clock::now();
    while (!stop.stop_requested()) {
      const auto taken = Clock::now();
      record::NodeSample s = cluster_.sample(node, kSampleDeadline);
      {
        std::lock_guard lock(mutex_);
        auto& series = series_[static_cast<std::size_t>(node - 1)];
        if (recording_ && series.size() < kMaxSamplesPerNode) {
          s.time_us =
              std::chrono::duration_cast<std::chrono::microseconds>(taken - origin_).count();
          series.push_back(s);
        }
        latest_[static_cast<std::size_t>(node - 1)] = s;
        ++taken_[static_cast<std::size_t>(node - 1)];
      }
      sampled_.notify_all();
      next += kSampleEvery;
      if (next < Clock::now()) next = Clock::now();  // a slow sample: skip, do not burst
      std::this_thread::sleep_until(next);
    }
  }

  LabCluster& cluster_;
  mutable std::mutex mutex_;
  std::vector<record::NodeSample> latest_;
  std::vector<std::vector<record::NodeSample>> series_;
  std::vector<std::uint64_t> taken_;  // samples completed, per node
  mutable std::condition_variable sampled_;
  Clock::time_point origin_{};
  bool recording_ = false;
  std::vector<std::jthread> threads_;  // last: joined before the rest is destroyed
};

// The leader every answering node agrees on, if all nodes answer and agree.
std::optional<int> agreed_leader(const std::vector<record::NodeSample>& latest) {
  std::optional<record::NodeId> leader;
  for (const auto& s : latest) {
    if (s.role == record::Role::down || s.leader == 0) return std::nullopt;
    if (leader && *leader != s.leader) return std::nullopt;
    leader = s.leader;
  }
  if (!leader) return std::nullopt;
  if (latest[static_cast<std::size_t>(*leader - 1)].role != record::Role::leader)
    return std::nullopt;
  return static_cast<int>(*leader);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The end-of-run store comparison's view of the cluster: the nodes that can answer, each on
// its own client endpoint, and fresh applied indexes from the observers.
StoreCheckPlan store_check_plan(const LabCluster& cluster, const Observers& observers) {
  StoreCheckPlan plan;
  const auto endpoints = cluster.client_endpoints();
  std::vector<int> asked;
  for (int k = 1; k <= static_cast<int>(endpoints.size()); ++k) {
    switch (cluster.state(k)) {
      case LabCluster::NodeState::running:
        asked.push_back(k);
        plan.nodes.emplace_back(k, endpoints[static_cast<std::size_t>(k - 1)]);
        break;
      case LabCluster::NodeState::paused:
        plan.not_asked.push_back(fmt::format("node {} (paused)", k));
        break;
      case LabCluster::NodeState::down:
        plan.not_asked.push_back(fmt::format("node {} (down)", k));
        break;
    }
  }
  plan.fresh_applied = [&observers, asked] {
    const auto latest = observers.fresh(asked, std::chrono::seconds(1));
    AppliedReadings readings;
    for (int k : asked) {
      const auto& s = latest[static_cast<std::size_t>(k - 1)];
      readings[k] =
          s.role == record::Role::down ? std::nullopt : std::optional<std::uint64_t>(s.applied);
    }
    return readings;
  };
  return plan;
}

// "node 3 exited on its own at 12.4 s (killed by signal 6, Aborted); its log ends: ..."
std::string describe_node_exit(const NodeExit& e, std::string_view when) {
  std::string out =
      fmt::format("node {} exited on its own {} ({})", e.node, when, describe_exit(e.status));
  if (e.log_tail.empty()) return out + "; its log is empty";
  out += "; its log ends:";
  for (const auto& line : e.log_tail) out += "\n    " + line;
  return out;
}

}  // namespace

std::string record_profile(const LabOptions& o) {
  if (o.system == System::etcd) return o.pre_vote ? "etcd --pre-vote" : "etcd";
  std::string p = o.profile.empty() ? "etcd-3.4" : o.profile;
  return o.pre_vote ? p + " --pre-vote" : p;
}

std::vector<std::string> lab_leftovers(bool all) {
  std::vector<std::string> out;
  for (const auto& ns : leftover_namespaces()) {
    auto owner = owner_of(ns);
    if (all || (owner && *owner != ::getpid() && !process_alive(*owner))) out.push_back(ns);
  }
  return out;
}

std::vector<std::string> clean_leftovers(bool all) { return remove_leftovers(lab_leftovers(all)); }

std::string self_binary() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "faultline";
}

// Per process: two loopback labs must not share addresses.
std::string loopback_subnet() { return "127.0." + std::to_string(20 + ::getpid() % 200); }

std::optional<std::string> check_lab(LabOptions& o) {
  const sim::Scenario& sc = o.scenario;
  if (sc.nodes < 1 || sc.nodes > 9)
    return "the lab runs 1 to 9 nodes; this scenario has " + std::to_string(sc.nodes);
  if (sc.timing.heartbeat_us % 1000 != 0 || sc.timing.election_timeout_us % 1000 != 0)
    return "the lab's systems take whole milliseconds for heartbeat and election timeout";
  if (o.system == System::etcd) {
    if (o.net == NetMode::loopback)
      return "etcd cannot run in --net loopback (it cannot bind its own source address for "
             "peer connections, so its links cannot be told apart); run as root without "
             "--net loopback";
    if (!o.profile.empty() && o.pre_vote) return "give --profile or --pre-vote for etcd, not both";
    if (o.profile == "etcd-3.5") o.pre_vote = true;
    // From here on pre_vote says it all (so a second check sees no conflict).
    if (o.profile == "etcd-3.4" || o.profile == "etcd-3.5") o.profile.clear();
    if (!o.profile.empty())
      return "etcd has no flag for profile `" + o.profile +
             "`: etcd 3.4 always runs CheckQuorum, so only etcd-3.4 (no --pre-vote) and "
             "etcd-3.5 (--pre-vote) exist";
    for (const auto& f : sc.faults)
      if (f.delay_us && *f.delay_us > 0)
        return "line " + std::to_string(f.line) + " (" + f.label +
               ") delays packets, and this kernel has no netem: the lab cannot delay etcd's "
               "packets (run it with --system faultline, whose transport can)";
    if (sc.snapshot.catch_up_entries != static_cast<std::int64_t>(kEtcdCatchUpEntries))
      return "[snapshot] catch_up_entries = " + std::to_string(sc.snapshot.catch_up_entries) +
             ", and etcd 3.4 has no flag for that: it always keeps " +
             std::to_string(kEtcdCatchUpEntries) +
             " entries behind a snapshot for slow followers (leave the key out or set it to " +
             std::to_string(kEtcdCatchUpEntries) +
             ", or run it with --system faultline, which takes --snapshot-catch-up-entries)";
    if (!etcd_version(o.etcd_binary))
      return "cannot run etcd (`" + o.etcd_binary +
             "`): install it with `apt-get install etcd-server`, or give --etcd-binary";
  } else if (o.profile.empty()) {
    o.profile = "etcd-3.4";
  }
  if (o.net == NetMode::namespaces) {
    if (!have_network_privileges())
      return "the lab needs root for network namespaces and nftables; run it as root, or use "
             "--net loopback (faultline only)";
    if (auto left = lab_leftovers(false); !left.empty())
      return "an earlier lab run left " + std::to_string(left.size()) + " namespace(s) behind (" +
             left.front() + ", ...): run `faultline lab clean` first";
  }
  return std::nullopt;
}

LabResult run_lab(const LabOptions& options) {
  LabOptions o = options;
  if (auto problem = check_lab(o)) throw LabError(*problem);
  const sim::Scenario& sc = o.scenario;
  StopSignals signals;
  LabResult result;
  result.system_version =
      o.system == System::etcd ? etcd_version(o.etcd_binary).value_or("?") : "faultline";

  ClusterPlan plan;
  plan.system = o.system;
  plan.net = o.net;
  plan.nodes = sc.nodes;
  plan.run_id = lab_run_id();
  plan.subnet = o.subnet;
  if (o.net == NetMode::loopback) plan.subnet = loopback_subnet();
  plan.heartbeat_ms = static_cast<int>(sc.timing.heartbeat_us / 1000);
  plan.election_ms = static_cast<int>(sc.timing.election_timeout_us / 1000);
  plan.profile = o.profile;
  plan.pre_vote = o.pre_vote;
  // The scenario's parser keeps both in 0..1e9 (count at least 1).
  plan.snapshot_count = static_cast<std::uint64_t>(sc.snapshot.count);
  plan.snapshot_catch_up_entries = static_cast<std::uint64_t>(sc.snapshot.catch_up_entries);
  plan.seed = o.seed;
  plan.work_dir = std::filesystem::temp_directory_path() / ("faultline-lab-" + plan.run_id);
  std::filesystem::remove_all(plan.work_dir);
  plan.faultline_binary = !o.faultline_binary.empty() ? o.faultline_binary : self_binary();
  plan.etcd_binary = o.etcd_binary;

  const auto setup_start = Clock::now();
  std::unique_ptr<LabCluster> cluster = LabCluster::create(plan);
  // Enter the client namespace now, before any thread exists (observers, gRPC), and come
  // back before tearing down.
  int root_ns = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  bool moved = false;
  auto leave = [&] {
    if (moved && root_ns >= 0) enter_namespace(root_ns);
    moved = false;
  };
  auto finish = [&](bool keep_files) {
    leave();
    const auto t = Clock::now();
    cluster->teardown();
    result.teardown_s = seconds_since(t);
    if (root_ns >= 0) ::close(root_ns);
    root_ns = -1;
    if (keep_files)
      result.work_dir = plan.work_dir.string();
    else
      std::filesystem::remove_all(plan.work_dir);
  };
  try {
    if (!cluster->client_namespace().empty()) {
      int fd = ::open(("/run/netns/" + cluster->client_namespace()).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || !enter_namespace(fd))
        throw LabError("cannot enter the client namespace: " + std::string(std::strerror(errno)));
      ::close(fd);
      moved = true;
    }
    // On the heap: GCC 12 warns falsely (maybe-uninitialized) about an optional holding the
    // jthreads' vector.
    auto observers = std::make_unique<Observers>(*cluster, sc.nodes);
    std::optional<int> leader;
    while (!(leader = agreed_leader(observers->latest()))) {
      if (g_stop_requested.load()) throw LabError("interrupted before the cluster was healthy");
      // A node that dies while the cluster forms would only show as a cluster that never
      // agrees; say which node and why instead of waiting out the 30 s.
      if (auto exits = cluster->take_exits(); !exits.empty())
        throw LabError(describe_node_exit(exits.front(), "before the cluster was healthy") +
                       "\nnode logs are in " + plan.work_dir.string() + " (kept)");
      if (Clock::now() - setup_start > kHealthyWithin)
        throw LabError("the cluster did not agree on a leader within 30 s; node logs are in " +
                       plan.work_dir.string() + " (kept)");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    result.setup_s = seconds_since(setup_start);

    record::RunRecord& rec = result.record;
    rec.meta.scenario = sc.name;
    rec.meta.driver = "lab";
    rec.meta.system = std::string(to_string(o.system));
    rec.meta.profile = record_profile(o);
    rec.meta.seed = o.seed;
    for (int k = 1; k <= sc.nodes; ++k) rec.meta.nodes.push_back(static_cast<record::NodeId>(k));
    rec.meta.heartbeat_us = sc.timing.heartbeat_us;
    rec.meta.election_timeout_us = sc.timing.election_timeout_us;
    rec.meta.duration_us = sc.duration_us;
    rec.meta.scenario_json = sim::scenario_to_json(sc);

    // Every node exit the lab did not cause is a failed safety check of the run: counted
    // in the record, the first one's message kept, all of them in the result.
    Clock::time_point origin = Clock::now();  // the record's time 0 once the workload starts
    auto note_node_exits = [&] {
      for (const NodeExit& e : cluster->take_exits()) {
        const double at_s = std::chrono::duration<double>(e.seen - origin).count();
        std::string message = describe_node_exit(e, fmt::format("at {:.1f} s", at_s));
        if (rec.meta.violation.empty()) rec.meta.violation = message;
        ++rec.meta.invariant_violations;
        result.node_exits.push_back(std::move(message));
      }
    };

    if (!o.setup_only) {
      std::optional<client::AsyncKvClient> kv;
      std::optional<client::OpGenerator> gen;
      if (sc.workload.rate > 0) {
        kv.emplace(client::KvClientOptions{.endpoints = cluster->client_endpoints(),
                                           .connections = static_cast<std::size_t>(sc.nodes),
                                           .completion_threads = 2});
        client::WorkloadSpec spec;
        spec.mix = sc.workload.read_share > 0 ? client::OpMix::mix : client::OpMix::put;
        spec.read_ratio = sc.workload.read_share;
        spec.value_size = static_cast<std::size_t>(sc.workload.value_size);
        spec.key_space = static_cast<std::uint64_t>(sc.workload.keys);
        spec.key_prefix = "k";
        spec.seed = o.seed;
        spec.keep_values = true;
        gen.emplace(spec);
      }
      origin = Clock::now();
      observers->start_recording(origin);
      std::stop_source stop_workload;
      client::DriveResult drive;
      std::string workload_error;  // set by the workload thread if it could not run
      std::jthread workload;
      if (kv) {
        client::OpenLoopOptions lo;
        lo.rate_per_s = sc.workload.rate;
        lo.limits.duration = std::chrono::microseconds(sc.duration_us);
        lo.timeout = std::chrono::microseconds(sc.workload.request_timeout_us);
        workload = std::jthread([&, lo] {
          try {
            drive = client::run_open_loop(*kv, *gen, lo, origin, stop_workload.get_token());
          } catch (const std::exception& e) {
            workload_error = e.what();
          }
        });
      }
      FaultTimeline timeline(sc, *cluster, rec);
      try {
        timeline.run(
            origin, [&] { return observers->latest(); }, [&] { return g_stop_requested.load(); },
            note_node_exits, o.on_progress);
      } catch (...) {
        stop_workload.request_stop();  // otherwise joining it waits out the whole run
        throw;
      }
      if (g_stop_requested.load()) {
        result.interrupted = true;
        stop_workload.request_stop();
      }
      if (workload.joinable()) workload.join();
      if (kv) kv->wait_idle();
      if (!workload_error.empty()) throw LabError("the workload could not run: " + workload_error);
      rec.ops = std::move(drive.ops);
      // The stores, compared once the requests are done: a node that has just died is not
      // asked (note_node_exits reaps it first), a difference is a failed safety check.
      note_node_exits();
      if (result.interrupted) {
        result.store_check = "not compared: the run was interrupted";
      } else {
        const StoreCheck check = check_stores(store_check_plan(*cluster, *observers));
        result.store_check = check.sentence;
        if (check.outcome == StoreCheck::Outcome::differ) {
          result.stores_differ = true;
          if (rec.meta.violation.empty()) rec.meta.violation = check.sentence;
          ++rec.meta.invariant_violations;
        }
      }
    }
    note_node_exits();  // the last look, before teardown kills every node
    observers->stop();
    rec.samples = observers->all_samples();
    observers.reset();
  } catch (...) {
    finish(true);
    throw;
  }
  // A node that exited on its own, or stores that differ, are findings: the data directories
  // and logs stay for a look.
  finish(o.keep || !result.node_exits.empty() || result.stores_differ);
  return result;
}

}  // namespace faultline::lab
