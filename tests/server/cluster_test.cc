// A 3-node faultline cluster in one process, on loopback: it elects one leader, serves
// writes through any node (a follower forwards to the leader and answers once it applied
// the entry itself), serves linearizable reads through a follower, survives the leader's
// death, and keeps its data across a restart. Bad requests get etcd's errors.
#include <gtest/gtest.h>

#include <thread>

#include "local_cluster.h"
#include "server/raft_node.h"

namespace faultline::server::testing {
namespace {

using namespace std::chrono_literals;

int some_follower(LocalCluster& c, int leader) {
  for (int i = 0; i < c.size(); ++i) {
    if (i != leader && c.running(i)) return i;
  }
  return -1;
}

TEST(Cluster, ElectsPutsAndReadsLinearizablyThroughAFollower) {
  LocalCluster c(3);
  c.start_all();
  const auto leader = c.wait_for_leader(10s);
  ASSERT_TRUE(leader) << "no leader within 10 s";
  const int follower = some_follower(c, *leader);

  etcdserverpb::PutResponse put_resp;
  ASSERT_TRUE(put(*c.kv(*leader), "greeting", "hello", &put_resp).ok());
  EXPECT_EQ(put_resp.header().member_id(), c.server(*leader).config().id);
  EXPECT_GE(put_resp.header().revision(), 2);

  // A linearizable read through the follower sees the write at once: ReadIndex makes the
  // follower wait until it has applied what the leader had committed.
  etcdserverpb::RangeResponse got;
  ASSERT_TRUE(get(*c.kv(follower), "greeting", false, &got).ok());
  ASSERT_EQ(got.kvs_size(), 1);
  EXPECT_EQ(got.kvs(0).value(), "hello");
  EXPECT_EQ(got.kvs(0).version(), 1);
  EXPECT_EQ(got.header().revision(), put_resp.header().revision());

  // A write sent to the follower is forwarded, applied everywhere, and answered by it.
  etcdserverpb::PutResponse forwarded;
  ASSERT_TRUE(put(*c.kv(follower), "greeting", "again", &forwarded).ok());
  EXPECT_EQ(forwarded.header().member_id(), c.server(follower).config().id);
  EXPECT_EQ(forwarded.header().revision(), put_resp.header().revision() + 1);
  ASSERT_TRUE(get(*c.kv(*leader), "greeting", false, &got).ok());
  EXPECT_EQ(got.kvs(0).value(), "again");
  EXPECT_EQ(got.kvs(0).version(), 2);
}

TEST(Cluster, SurvivesALeaderKillAndKeepsDataAcrossARestart) {
  LocalCluster c(3);
  c.start_all();
  const auto first = c.wait_for_leader(10s);
  ASSERT_TRUE(first);
  for (int k = 0; k < 20; ++k) {
    ASSERT_TRUE(put(*c.kv(*first), "key" + std::to_string(k), "v" + std::to_string(k)).ok());
  }
  const raft::Term old_term = c.server(*first).node().status().term;

  c.stop(*first);  // the leader dies
  const auto second = c.wait_for_leader(10s);
  ASSERT_TRUE(second) << "the two survivors did not elect a leader";
  EXPECT_NE(*second, *first);
  EXPECT_GT(c.server(*second).node().status().term, old_term);

  // Nothing committed was lost, and the cluster takes writes again.
  etcdserverpb::RangeResponse got;
  ASSERT_TRUE(get(*c.kv(*second), "key7", false, &got).ok());
  ASSERT_EQ(got.kvs_size(), 1);
  EXPECT_EQ(got.kvs(0).value(), "v7");
  ASSERT_TRUE(put(*c.kv(*second), "after", "the kill").ok());

  // The old leader restarts from its data directory and catches up.
  c.start(*first);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool caught_up = false;
  while (!caught_up && std::chrono::steady_clock::now() < deadline) {
    etcdserverpb::RangeResponse local;
    caught_up = get(*c.kv(*first), "after", true, &local).ok() && local.kvs_size() == 1;
    if (!caught_up) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(caught_up) << "the restarted node never saw the write made while it was down";
  etcdserverpb::RangeResponse before;
  ASSERT_TRUE(get(*c.kv(*first), "key19", true, &before).ok());
  ASSERT_EQ(before.kvs_size(), 1);
  EXPECT_EQ(before.kvs(0).value(), "v19");
}

TEST(Cluster, BadRequestsGetEtcdsErrorsAndChangeNothing) {
  LocalCluster c(3);
  c.start_all();
  const auto leader = c.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  auto kv = c.kv(*leader);
  ASSERT_TRUE(put(*kv, "a", "1").ok());
  const raft::Index applied_before = c.server(*leader).node().status().applied;

  grpc::Status s = put(*kv, "", "no key");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "etcdserver: key is not provided");

  s = put(*kv, "big", std::string(1536 * 1024 + 1, 'x'));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "etcdserver: request is too large");

  {  // A Range at a past revision: no history is kept, so no answer rather than a wrong one.
    grpc::ClientContext ctx;
    etcdserverpb::RangeRequest req;
    req.set_key("a");
    req.set_revision(1);
    etcdserverpb::RangeResponse resp;
    s = kv->Range(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  }
  {  // A nested Txn.
    grpc::ClientContext ctx;
    etcdserverpb::TxnRequest req;
    req.add_success()->mutable_request_txn();
    etcdserverpb::TxnResponse resp;
    s = kv->Txn(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  {  // Leases are not served.
    grpc::ClientContext ctx;
    etcdserverpb::LeaseGrantRequest req;
    etcdserverpb::LeaseGrantResponse resp;
    s = etcdserverpb::Lease::NewStub(c.channel(*leader))->LeaseGrant(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_NE(s.error_message().find("faultline"), std::string::npos);
  }
  {  // Nor is Watch (a stream): refused with a message, not left hanging.
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    auto stream = etcdserverpb::Watch::NewStub(c.channel(*leader))->Watch(&ctx);
    etcdserverpb::WatchResponse resp;
    EXPECT_FALSE(stream->Read(&resp));
    s = stream->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  // Enum values outside etcd's enums (as a newer or broken client may send; 256 would wrap
  // to a valid value in one byte). Once, a Txn carrying one was proposed and its entry then
  // refused as corrupt by every member, which stopped the whole cluster for good.
  for (int bad : {3, 7, 256}) {
    grpc::ClientContext ctx;
    etcdserverpb::RangeRequest req;
    req.set_key("a");
    req.set_sort_order(static_cast<etcdserverpb::RangeRequest::SortOrder>(bad));
    etcdserverpb::RangeResponse resp;
    s = kv->Range(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_EQ(s.error_message(), "etcdserver: invalid sort option");
  }
  for (int bad : {5, 256}) {
    grpc::ClientContext ctx;
    etcdserverpb::TxnRequest req;
    auto* range = req.add_failure()->mutable_request_range();
    range->set_key("a");
    range->set_sort_target(static_cast<etcdserverpb::RangeRequest::SortTarget>(bad));
    req.add_failure()->mutable_request_put()->set_key("b");
    etcdserverpb::TxnResponse resp;
    s = kv->Txn(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_EQ(s.error_message(), "etcdserver: invalid sort option");
  }
  for (const auto& [result, target] : {std::pair{4, 0}, {0, 5}, {256, 0}, {0, 256}}) {
    grpc::ClientContext ctx;
    etcdserverpb::TxnRequest req;
    auto* cmp = req.add_compare();
    cmp->set_key("a");
    cmp->set_result(static_cast<etcdserverpb::Compare::CompareResult>(result));
    cmp->set_target(static_cast<etcdserverpb::Compare::CompareTarget>(target));
    req.add_success()->mutable_request_put()->set_key("b");
    etcdserverpb::TxnResponse resp;
    s = kv->Txn(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << result << " " << target;
    EXPECT_EQ(s.error_message(), "faultline: invalid compare result or target");
  }
  EXPECT_EQ(c.server(*leader).node().status().applied, applied_before)
      << "refused requests must not reach the log";
  EXPECT_TRUE(put(*kv, "after", "all that").ok()) << "the cluster still serves";
}

TEST(Cluster, TxnComparesValueVersionCreateAndModRevision) {
  LocalCluster c(3);
  c.start_all();
  const auto leader = c.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  auto kv = c.kv(*leader);
  etcdserverpb::PutResponse p;
  ASSERT_TRUE(put(*kv, "k", "v1", &p).ok());
  const std::int64_t created = p.header().revision();

  auto txn = [&](etcdserverpb::Compare compare, etcdserverpb::TxnResponse* out) {
    grpc::ClientContext ctx;
    etcdserverpb::TxnRequest req;
    *req.add_compare() = std::move(compare);
    auto* put = req.add_success()->mutable_request_put();
    put->set_key("k");
    put->set_value("won");
    req.add_failure()->mutable_request_range()->set_key("k");
    return kv->Txn(&ctx, req, out);
  };
  etcdserverpb::Compare cmp;
  cmp.set_key("k");
  cmp.set_target(etcdserverpb::Compare::VALUE);
  cmp.set_value("v2");
  etcdserverpb::TxnResponse r;
  ASSERT_TRUE(txn(cmp, &r).ok());
  EXPECT_FALSE(r.succeeded());
  ASSERT_EQ(r.responses_size(), 1);
  EXPECT_EQ(r.responses(0).response_range().kvs(0).value(), "v1");

  cmp.set_target(etcdserverpb::Compare::CREATE);
  cmp.set_create_revision(created);
  ASSERT_TRUE(txn(cmp, &r).ok());
  EXPECT_TRUE(r.succeeded());

  cmp.set_target(etcdserverpb::Compare::VERSION);
  cmp.set_result(etcdserverpb::Compare::GREATER);
  cmp.set_version(1);  // the key is at version 2 now
  ASSERT_TRUE(txn(cmp, &r).ok());
  EXPECT_TRUE(r.succeeded());

  cmp.set_target(etcdserverpb::Compare::MOD);
  cmp.set_result(etcdserverpb::Compare::LESS);
  cmp.set_mod_revision(created);
  ASSERT_TRUE(txn(cmp, &r).ok());
  EXPECT_FALSE(r.succeeded());
}

TEST(Cluster, StatusAndMemberListDescribeTheCluster) {
  LocalCluster c(3);
  c.start_all();
  const auto leader = c.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(put(*c.kv(*leader), "x", "y").ok());
  const int follower = some_follower(c, *leader);

  grpc::ClientContext ctx;
  etcdserverpb::StatusResponse st;
  ASSERT_TRUE(c.maintenance(follower)->Status(&ctx, {}, &st).ok());
  EXPECT_EQ(st.leader(), c.server(*leader).config().id);
  EXPECT_EQ(st.raftterm(), c.server(*leader).node().status().term);
  EXPECT_GE(st.raftindex(), 2u);
  EXPECT_EQ(st.header().member_id(), c.server(follower).config().id);

  // Every member appears, with the client URLs the peers announced in their hellos.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  etcdserverpb::MemberListResponse ml;
  bool complete = false;
  while (!complete && std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext mctx;
    ml.Clear();
    ASSERT_TRUE(c.cluster(follower)->MemberList(&mctx, {}, &ml).ok());
    complete = ml.members_size() == 3;
    for (const auto& m : ml.members()) complete = complete && m.clienturls_size() == 1;
    if (!complete) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(complete) << ml.DebugString();
  for (const auto& m : ml.members()) {
    const int i = std::stoi(m.name().substr(1)) - 1;
    EXPECT_EQ(m.id(), c.server(i).config().id);
    EXPECT_EQ(m.clienturls(0), c.flags(i).advertise_client_urls);
    EXPECT_EQ(m.peerurls(0), c.flags(i).initial_advertise_peer_urls);
  }
}

TEST(Cluster, ANodeWithNoLeaderAnswersEtcdsTimeoutButServesSerializableReads) {
  LocalCluster c(3);
  c.start(0);  // the other two never start: no quorum, no leader
  auto kv = c.kv(0);
  const auto start = std::chrono::steady_clock::now();
  const grpc::Status s = put(*kv, "k", "v", nullptr, 20s);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(s.error_message(), "etcdserver: request timed out");
  // etcd's request timeout: 5 s + 2 election timeouts.
  EXPECT_GE(took, 5800ms);
  EXPECT_LT(took, 9s);

  etcdserverpb::RangeResponse got;
  const auto read_start = std::chrono::steady_clock::now();
  EXPECT_TRUE(get(*kv, "k", true, &got).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - read_start, 1s);
  EXPECT_EQ(got.kvs_size(), 0);
}

// The number after `name ` in the Prometheus text `metrics`; -1 if it is not there.
double metric(const std::string& metrics, const std::string& name) {
  const auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

// --snapshot-count and --snapshot-catch-up-entries reach the storage: a follower that was
// down while the cluster took 100 writes, with a snapshot every 20, comes back and catches
// up. With 10 entries kept behind each snapshot the leader no longer has what it missed, so
// it gets the leader's snapshot (and counts it); with 1000 kept, it gets entries.
TEST(Cluster, AFollowerFurtherBehindThanTheCatchUpEntriesGetsTheLeadersSnapshot) {
  for (const std::uint64_t catch_up : {10u, 1000u}) {
    SCOPED_TRACE("--snapshot-catch-up-entries " + std::to_string(catch_up));
    LocalCluster c(3, [&](ServeFlags& f) {
      f.snapshot_count = 20;
      f.snapshot_catch_up_entries = catch_up;
    });
    c.start_all();
    const auto leader = c.wait_for_leader(10s);
    ASSERT_TRUE(leader);
    const int follower = some_follower(c, *leader);
    c.stop(follower);
    for (int k = 0; k < 100; ++k)
      ASSERT_TRUE(put(*c.kv(*leader), "key" + std::to_string(k), "v" + std::to_string(k)).ok());
    EXPECT_GE(metric(c.server(*leader).render_metrics(), "faultline_snapshots_total"), 4);

    c.start(follower);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool caught_up = false;
    while (!caught_up && std::chrono::steady_clock::now() < deadline) {
      etcdserverpb::RangeResponse local;
      caught_up = get(*c.kv(follower), "key99", true, &local).ok() && local.kvs_size() == 1;
      if (!caught_up) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(caught_up) << "the restarted follower never saw the last write";
    etcdserverpb::RangeResponse first;
    ASSERT_TRUE(get(*c.kv(follower), "key0", true, &first).ok());
    ASSERT_EQ(first.kvs_size(), 1);
    EXPECT_EQ(first.kvs(0).value(), "v0");
    const double installed =
        metric(c.server(follower).render_metrics(), "faultline_snapshots_installed_total");
    if (catch_up == 10) {
      EXPECT_GE(installed, 1);
    } else {
      EXPECT_EQ(installed, 0);
    }
    EXPECT_EQ(metric(c.server(*leader).render_metrics(), "faultline_snapshots_installed_total"), 0);
  }
}

TEST(Cluster, AMemberThatLostItsDataRefusesToRejoin) {
  LocalCluster c(3, [](ServeFlags& f) { f.initial_cluster_state = "existing"; });
  // No data directory: with "existing" this node would rejoin having forgotten its votes.
  EXPECT_THROW(c.start(0), std::runtime_error);
  EXPECT_FALSE(c.running(0));
}

}  // namespace
}  // namespace faultline::server::testing
