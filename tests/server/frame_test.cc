// The peer frame codec: good frames pass whole or in pieces; a bad checksum, an absurd
// length and an unknown type each poison the decoder (the connection must close), and
// nothing of a poisoned stream is handed out.
#include "net/frame.h"

#include <gtest/gtest.h>

#include <string>

namespace faultline::net {
namespace {

TEST(Frame, AFrameFedWholeComesOutWhole) {
  FrameDecoder decoder;
  const std::string wire = encode_frame(FrameType::raft_batch, "hello raft");
  ASSERT_EQ(wire.size(), kFrameHeaderBytes + 10);
  decoder.feed(wire.data(), wire.size());
  Frame frame;
  ASSERT_EQ(decoder.next(frame), FrameDecoder::Result::frame);
  EXPECT_EQ(frame.type, FrameType::raft_batch);
  EXPECT_EQ(frame.payload, "hello raft");
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Result::need_more);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Frame, FramesFedOneByteAtATimeComeOutInOrder) {
  std::string wire;
  append_frame(wire, FrameType::hello, "first");
  append_frame(wire, FrameType::raft_batch, "");
  append_frame(wire, FrameType::raft_batch, std::string(100000, 'x'));
  FrameDecoder decoder;
  std::vector<Frame> got;
  for (char c : wire) {
    decoder.feed(&c, 1);
    Frame frame;
    while (decoder.next(frame) == FrameDecoder::Result::frame) got.push_back(frame);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, FrameType::hello);
  EXPECT_EQ(got[0].payload, "first");
  EXPECT_EQ(got[1].payload, "");
  EXPECT_EQ(got[2].payload.size(), 100000u);
  EXPECT_EQ(decoder.error(), FrameError::none);
}

TEST(Frame, AFlippedPayloadBitIsABadChecksumAndPoisonsTheStream) {
  std::string wire = encode_frame(FrameType::raft_batch, "payload");
  wire[kFrameHeaderBytes + 2] ^= 0x01;
  wire += encode_frame(FrameType::raft_batch, "a good frame after the bad one");
  FrameDecoder decoder;
  decoder.feed(wire.data(), wire.size());
  Frame frame;
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Result::error);
  EXPECT_EQ(decoder.error(), FrameError::bad_checksum);
  // Nothing after a bad frame can be trusted: the decoder stays failed.
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Result::error);
}

TEST(Frame, AnAbsurdLengthIsRefusedBeforeItsPayloadArrives) {
  FrameDecoder decoder(/*max_payload=*/1024);
  std::string wire = encode_frame(FrameType::raft_batch, std::string(2048, 'y'));
  // Only the header: the decoder must not wait for (or buffer) 2 KiB it will refuse.
  decoder.feed(wire.data(), kFrameHeaderBytes);
  Frame frame;
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Result::error);
  EXPECT_EQ(decoder.error(), FrameError::too_large);

  // A length of 4 GiB - 1 with the default limit.
  FrameDecoder defaults;
  const char huge[kFrameHeaderBytes] = {'\xff', '\xff', '\xff', '\xff', 2, 0, 0, 0, 0};
  defaults.feed(huge, sizeof huge);
  EXPECT_EQ(defaults.next(frame), FrameDecoder::Result::error);
  EXPECT_EQ(defaults.error(), FrameError::too_large);
}

TEST(Frame, AnUnknownTypeIsRefused) {
  std::string wire = encode_frame(FrameType::raft_batch, "x");
  wire[4] = 77;
  FrameDecoder decoder;
  decoder.feed(wire.data(), wire.size());
  Frame frame;
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Result::error);
  EXPECT_EQ(decoder.error(), FrameError::unknown_type);
  EXPECT_FALSE(is_known_frame_type(0));
  EXPECT_TRUE(is_known_frame_type(static_cast<std::uint8_t>(FrameType::hello)));
}

TEST(Frame, TheChecksumCoversTheTypeByte) {
  // hello (1) and raft_batch (2) are both known types: only the checksum catches the swap.
  std::string wire = encode_frame(FrameType::hello, "who am i");
  wire[4] = static_cast<char>(FrameType::raft_batch);
  FrameDecoder decoder;
  decoder.feed(wire.data(), wire.size());
  Frame frame;
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Result::error);
  EXPECT_EQ(decoder.error(), FrameError::bad_checksum);
}

}  // namespace
}  // namespace faultline::net
