// `faultline serve`: one node of a faultline cluster, with etcd's flag names so an etcd
// operator feels at home (see docs/server.md). Runs until SIGINT or SIGTERM; exits 2 if
// the configuration is bad, a port cannot be bound, the data directory is corrupt, or the
// node hits a fatal disk error.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "server/serve_config.h"
#include "server/server.h"

namespace faultline::cli {
namespace {

struct ServeOptions {
  server::ServeFlags flags;
  bool pre_vote = false;
  CLI::Option* pre_vote_option = nullptr;
  std::uint64_t seed = 0;
  CLI::Option* seed_option = nullptr;
  std::string log_level = "info";
};

int run_serve(ServeOptions& o) {
  if (o.pre_vote_option->count() > 0) o.flags.pre_vote = o.pre_vote;
  if (o.seed_option->count() > 0) o.flags.seed = o.seed;
  const auto level = spdlog::level::from_str(o.log_level);
  if (level == spdlog::level::off && o.log_level != "off") {
    std::fprintf(stderr, "faultline serve: --log-level must be debug, info, warn or error\n");
    return kCannotRun;
  }
  spdlog::set_level(level);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ " + o.flags.name + ": %v");

  server::ServeConfig config;
  try {
    config = server::resolve(o.flags);
  } catch (const server::ServeConfigError& e) {
    std::fprintf(stderr, "faultline serve: %s\n", e.what());
    return kCannotRun;
  }

  // Signals go to one waiting thread, never to a thread in the middle of its work: block
  // them here, before any thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<server::Server> node;
  try {
    node = std::make_unique<server::Server>(config);
    node->start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "faultline serve: cannot start: %s\n", e.what());
    return kCannotRun;
  }
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    node->request_stop();
  });
  const std::optional<std::string> fatal = node->wait();
  node->stop();
  pthread_kill(watcher.native_handle(), SIGTERM);  // wake the watcher if no signal came
  watcher.join();
  if (fatal) {
    std::fprintf(stderr, "faultline serve: stopped: %s\n", fatal->c_str());
    return kCannotRun;
  }
  return kValid;
}

CommandRegistration registration{
    "serve", "run one node of a faultline cluster (etcd v3 API, etcd's flag names)", 70,
    [](CLI::App& sub) {
      auto o = std::make_shared<ServeOptions>();
      server::ServeFlags& f = o->flags;
      sub.add_option("--name", f.name, "human-readable name of this member")->capture_default_str();
      sub.add_option("--data-dir", f.data_dir, "path to the data directory (default: NAME.etcd)");
      sub.add_option("--initial-cluster", f.initial_cluster,
                     "every member: NAME=http://HOST:PORT,... (default: NAME=advertised peer URL)");
      sub.add_option("--initial-cluster-state", f.initial_cluster_state, "new or existing")
          ->capture_default_str();
      sub.add_option("--initial-cluster-token", f.initial_cluster_token,
                     "the cluster's token; every member must use the same")
          ->capture_default_str();
      sub.add_option("--listen-peer-urls", f.listen_peer_urls, "URL to listen on for peers")
          ->capture_default_str();
      sub.add_option("--initial-advertise-peer-urls", f.initial_advertise_peer_urls,
                     "this member's peer URLs, as in --initial-cluster")
          ->capture_default_str();
      sub.add_option("--listen-client-urls", f.listen_client_urls,
                     "URLs to serve etcd's v3 gRPC API on")
          ->capture_default_str();
      sub.add_option("--advertise-client-urls", f.advertise_client_urls,
                     "this member's client URLs, as MemberList reports them")
          ->capture_default_str();
      sub.add_option("--listen-metrics-urls", f.listen_metrics_urls,
                     "URLs for /metrics, /health and the fault-hook admin API (default: none)");
      sub.add_option("--heartbeat-interval", f.heartbeat_interval_ms,
                     "time of one heartbeat (one Raft tick), in ms")
          ->capture_default_str();
      sub.add_option("--election-timeout", f.election_timeout_ms, "election timeout, in ms")
          ->capture_default_str();
      sub.add_option("--snapshot-count", f.snapshot_count, "applied entries between two snapshots")
          ->capture_default_str();
      sub.add_option("--snapshot-catch-up-entries", f.snapshot_catch_up_entries,
                     "entries kept behind a snapshot for slow followers (etcd: fixed at 5000)")
          ->capture_default_str();
      o->pre_vote_option = sub.add_flag("--pre-vote", o->pre_vote,
                                        "PreVote on (or =false: off) on top of --profile");
      sub.add_option("--profile", f.profile, "a profile of the Raft core (faultline profiles)")
          ->capture_default_str();
      sub.add_option("--max-request-bytes", f.max_request_bytes,
                     "largest client request accepted, in bytes")
          ->capture_default_str();
      o->seed_option = sub.add_option("--seed", o->seed,
                                      "seed of the election-timeout generator (default: clock)");
      sub.add_option("--log-level", o->log_level, "debug, info, warn or error")
          ->capture_default_str();
      return [o]() -> int { return run_serve(*o); };
    }};

}  // namespace
}  // namespace faultline::cli
