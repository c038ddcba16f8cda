// raft::Message <-> protobuf: every field survives the trip; what must never reach the
// core (local-only types, unknown types, no sender) is refused, and a batch with one bad
// message is refused whole.
#include "net/message_codec.h"

#include <gtest/gtest.h>

#include "faultline/peer.pb.h"
#include "net/frame.h"

namespace faultline::net {
namespace {

raft::Message full_message() {
  raft::Message m;
  m.type = raft::MessageType::app;
  m.to = 2;
  m.from = 1;
  m.term = 7;
  m.log_term = 6;
  m.index = 41;
  m.entries = {{6, 42, "put a=1"}, {7, 43, ""}};
  m.commit = 40;
  m.reject = true;
  m.reject_hint = 39;
  m.context = std::string("ctx\0bytes", 9);
  return m;
}

TEST(MessageCodec, EveryFieldSurvivesABatchRoundTrip) {
  raft::Message snap;
  snap.type = raft::MessageType::snap;
  snap.to = 3;
  snap.from = 1;
  snap.term = 7;
  snap.snapshot.data = "state";
  snap.snapshot.metadata = {100, 6, {1, 2, 3}};
  const std::vector<raft::Message> sent = {full_message(), snap};
  std::vector<raft::Message> got;
  std::string error;
  ASSERT_TRUE(decode_batch(encode_batch(sent), got, &error)) << error;
  EXPECT_EQ(got, sent);
}

TEST(MessageCodec, TheDirectEncoderWritesExactlyWhatProtobufWrites) {
  raft::Message snap;
  snap.type = raft::MessageType::snap;
  snap.to = 3;
  snap.from = 1;
  snap.term = 1ull << 40;  // multi-byte varints
  snap.snapshot.data = std::string(300, 's');
  snap.snapshot.metadata = {100, 6, {1, 2, 0xffffffffffffull}};
  raft::Message empty_entries = full_message();
  empty_entries.entries = {{0, 0, ""}, {1, 2, std::string(200, 'x')}};
  empty_entries.reject = false;
  empty_entries.context.clear();
  raft::Message bare;  // every field at its default but the type and the ends
  bare.type = raft::MessageType::heartbeat;
  bare.to = 2;
  bare.from = 1;
  const std::vector<raft::Message> sent = {full_message(), snap, empty_entries, bare};

  peerpb::RaftBatch batch;
  for (const raft::Message& m : sent) to_proto(m, *batch.add_messages());
  EXPECT_EQ(encode_batch(sent), batch.SerializeAsString());

  // As a frame, appended after what a writer already holds.
  std::string wire = "earlier bytes";
  append_batch_frame(wire, sent);
  EXPECT_EQ(wire, "earlier bytes" + encode_frame(FrameType::raft_batch, batch.SerializeAsString()));
}

TEST(MessageCodec, LocalOnlyTypesNeverCrossTheWire) {
  raft::Message m = full_message();
  m.type = raft::MessageType::hup;  // would start an election on the receiver
  std::vector<raft::Message> got;
  std::string error;
  EXPECT_FALSE(decode_batch(encode_batch({full_message(), m}), got, &error));
  EXPECT_NE(error.find("local-only"), std::string::npos) << error;
  EXPECT_TRUE(got.empty()) << "a batch is accepted whole or not at all";
}

TEST(MessageCodec, UnknownTypesAndMissingSendersAreRefused) {
  peerpb::RaftMessage p;
  to_proto(full_message(), p);
  p.set_type(250);
  std::string error;
  EXPECT_FALSE(from_proto(p, &error).has_value());
  EXPECT_NE(error.find("unknown raft message type"), std::string::npos);

  to_proto(full_message(), p);
  p.set_from(0);
  EXPECT_FALSE(from_proto(p, &error).has_value());
}

// Found by fuzz/peer_batch: a peer's snapshot with data but index 0 was decoded as is, while
// the core treats it as no snapshot and the encoder leaves it out; decoding now agrees.
TEST(MessageCodec, ASnapshotAtIndexZeroIsNoSnapshot) {
  peerpb::RaftMessage p;
  to_proto(full_message(), p);
  p.mutable_snapshot()->set_data("state");
  p.mutable_snapshot()->mutable_metadata()->set_index(0);
  std::string error;
  const auto got = from_proto(p, &error);
  ASSERT_TRUE(got.has_value()) << error;
  EXPECT_EQ(got->snapshot, raft::Snapshot{});

  std::vector<raft::Message> batch;
  ASSERT_TRUE(decode_batch(encode_batch({*got}), batch, &error)) << error;
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0], *got);
}

TEST(MessageCodec, GarbageIsNotABatch) {
  std::vector<raft::Message> got;
  std::string error;
  EXPECT_FALSE(decode_batch(std::string("\xff\xff\xff\xff garbage", 13), got, &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace faultline::net
