// What a lossy link does to messages. Real clusters talk over TCP, so in the default
// `stream` model a lost packet delays the message (retransmission after 200 ms, doubling)
// and everything behind it, and a message the connection gives up on takes the next 2 s of
// messages with it; the `datagram` model loses each message on its own.
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
  const Outcome o = send_stream(LinkParams::LossModel::stream, 0.4, 7);
  EXPECT_TRUE(o.in_order) << "a stream never reorders";
  // Lost outright only when the connection gives up (more than 2 s of retransmissions:
  // four losses in a row, 0.4^4 = 2.6%), along with what was sent behind it for 2 s.
  EXPECT_GT(o.delivered, kMessages / 3);
  EXPECT_LT(o.delivered, kMessages);
  // Far more than 40% arrive late: a retransmitted message holds back the ones behind it.
  EXPECT_GT(o.held_back, kMessages * 6 / 10);
  // Stalls longer than an election timeout (1 s) happen: what makes a follower campaign.
  EXPECT_GE(o.longest_silence, 1'400'000);
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
