// What a lossy link does to messages. Real clusters talk over TCP, so in the default
// `stream` model a lost packet delays the message (retransmission after 200 ms, doubling)
// and everything behind it until a retransmission and its acknowledgement get through; a
// connection that gives up (2 s) loses what is sent until a redial gets through the same
// loss. The `datagram` model loses each message on its own.
#include "sim/link_matrix.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/scenario.h"

namespace faultline::sim {
namespace {

constexpr Micros kEvery = 10'000;  // one message every 10 ms
constexpr int kMessages = 20'000;

struct Outcome {
  int delivered = 0;
  int held_back = 0;  // arrived later than a lossless link would have delivered it
  bool in_order = true;
  Micros longest_silence = 0;  // longest time between two arrivals
};

Outcome send_stream(LinkParams::LossModel model, double loss, std::uint64_t seed) {
  LinkParams p;
  p.jitter_us = 0;
  p.loss = loss;
  p.loss_model = model;
  LinkMatrix links(2, LinkParams{});
  links.set_params(0, 1, p);
  Rng rng(seed);
  Outcome o;
  Micros last = 0;
  for (int i = 0; i < kMessages; ++i) {
    const Micros now = i * kEvery;
    Micros arrivals[2];
    if (links.transmit(0, 1, now, rng, arrivals) == 0) continue;
    ++o.delivered;
    if (arrivals[0] > now + p.delay_us) ++o.held_back;
    if (arrivals[0] < last) o.in_order = false;
    if (o.delivered > 1) o.longest_silence = std::max(o.longest_silence, arrivals[0] - last);
    last = std::max(last, arrivals[0]);
  }
  return o;
}

TEST(StreamLoss, APacketLostOnATcpLinkDelaysTheMessageAndEveryOneBehindIt) {
  const Outcome o = send_stream(LinkParams::LossModel::stream, 0.3, 7);
  EXPECT_TRUE(o.in_order) << "a stream never reorders";
  // Lost outright only while a connection that gave up (one lost segment in eight) is
  // redialled; about half of the messages arrive.
  EXPECT_GT(o.delivered, kMessages / 3);
  EXPECT_LT(o.delivered, kMessages);
  // Far more than 30% arrive late: a retransmitted message holds back the ones behind it.
  EXPECT_GT(o.held_back, kMessages * 4 / 10);
  // Stalls longer than an election timeout (1 s) happen: what makes a follower campaign.
  EXPECT_GE(o.longest_silence, 1'400'000);
}

TEST(StreamLoss, AtSeventyPercentAConnectionThatLostASegmentHardlyEverRecovers) {
  // A try and its acknowledgement get through together 9% of the time, and a redial needs
  // its SYN and SYN-ACK through: the link is nearly as dead as a cut.
  const Outcome o = send_stream(LinkParams::LossModel::stream, 0.7, 7);
  EXPECT_TRUE(o.in_order);
  EXPECT_LT(o.delivered, kMessages / 10);
  EXPECT_GE(o.longest_silence, 10'000'000);
}

TEST(StreamLoss, RecoveryNeedsATryAndItsAcknowledgementThroughWithinTheGiveUpTime) {
  Rng rng(3);
  int recovered = 0, delivered_but_given_up = 0;
  constexpr int kTries = 100'000;
  for (int i = 0; i < kTries; ++i) {
    const LinkMatrix::Recovery r = LinkMatrix::stream_recovery(0.5, rng);
    if (r.acknowledged >= 0) {
      ++recovered;
      EXPECT_GE(r.acknowledged, r.delivered);
      EXPECT_LE(r.acknowledged, LinkMatrix::kStreamGiveUpUs);
    } else if (r.delivered >= 0) {
      ++delivered_but_given_up;
    }
  }
  // Tries at 0.2, 0.6 and 1.4 s fit in 2 s; each succeeds with 0.25: 1 - 0.75^3 = 57.8%.
  EXPECT_NEAR(recovered, kTries * 0.578, kTries * 0.01);
  EXPECT_GT(delivered_but_given_up, 0) << "the data can arrive while every ack is lost";
}

TEST(StreamLoss, WithoutLossAStreamDeliversEverythingOnTime) {
  const Outcome o = send_stream(LinkParams::LossModel::stream, 0.0, 7);
  EXPECT_EQ(o.delivered, kMessages);
  EXPECT_EQ(o.held_back, 0);
}

TEST(DatagramLoss, EachMessageIsLostOnItsOwnAndNoneIsHeldBack) {
  const Outcome o = send_stream(LinkParams::LossModel::datagram, 0.4, 7);
  EXPECT_NEAR(o.delivered, kMessages * 0.6, kMessages * 0.02);
  EXPECT_EQ(o.held_back, 0);
  EXPECT_LT(o.longest_silence, 500'000) << "losses in a row long enough to starve a follower "
                                           "are vanishingly rare one message at a time";
}

TEST(StreamLoss, HealingTheLinkEndsTheRedialAtOnce) {
  LinkParams p;
  p.loss = 0.99;  // every message is given up on: the connection is always redialling
  LinkMatrix links(2, LinkParams{});
  links.set_params(0, 1, p);
  Rng rng(1);
  Micros arrivals[2];
  for (int i = 0; i < 100; ++i) EXPECT_EQ(links.transmit(0, 1, i * kEvery, rng, arrivals), 0);
  links.restore(0, 1);
  EXPECT_EQ(links.transmit(0, 1, 100 * kEvery, rng, arrivals), 1);
}

TEST(LossModel, TheScenarioFileChoosesItAndAnUnknownOneIsRefusedWithItsLine) {
  Scenario s =
      parse_scenario_text("name = \"x\"\n[network]\nloss_model = \"datagram\"\n", "x.toml");
  EXPECT_EQ(s.network.loss_model, LinkParams::LossModel::datagram);
  EXPECT_EQ(parse_scenario_text("name = \"x\"\n", "x.toml").network.loss_model,
            LinkParams::LossModel::stream);
  try {
    parse_scenario_text("name = \"x\"\n[network]\nloss_model = \"udp\"\n", "bad.toml");
    FAIL() << "an unknown loss model was accepted";
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.toml:3"), std::string::npos) << what;
    EXPECT_NE(what.find("loss_model"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace faultline::sim
