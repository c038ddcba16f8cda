// What a lossy link does to messages. Real clusters talk over TCP, so in the default
// `stream` model a lost packet delays the message (retransmission after 200 ms, doubling)
// and everything behind it until a retransmission and its acknowledgement get through; a
// connection that gives up (2 s) loses what is sent until a redial gets through the same
// loss. The `datagram` model loses each message on its own.
#include "sim/link_matrix.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "sim/scenario.h"

namespace faultline::sim {
namespace {

constexpr Micros kEvery = 10'000;  // one message every 10 ms
constexpr auto kApp = LinkMatrix::Channel::append;
constexpr auto kMsg = LinkMatrix::Channel::message;
constexpr int kMessages = 20'000;

struct Outcome {
  int delivered = 0;
  int held_back = 0;  // arrived later than a lossless link would have delivered it
  bool in_order = true;
  Micros longest_silence = 0;  // longest time between two arrivals
};

// Sends kMessages from 0 to 1 over a link that loses `loss` of its packets both ways (as
// a scenario's `cut = [a, b]` with `loss` makes it), `reverse_loss` on the way back if set.
Outcome send_stream(LinkParams::LossModel model, double loss, std::uint64_t seed,
                    double reverse_loss = -1) {
  LinkParams p;
  p.jitter_us = 0;
  p.loss = loss;
  p.loss_model = model;
  LinkMatrix links(2, LinkParams{});
  links.set_params(0, 1, p);
  LinkParams back = p;
  if (reverse_loss >= 0) back.loss = reverse_loss;
  links.set_params(1, 0, back);
  Rng rng(seed);
  Outcome o;
  Micros last = 0;
  for (int i = 0; i < kMessages; ++i) {
    const Micros now = i * kEvery;
    Micros arrivals[2];
    if (links.transmit(0, 1, kApp, now, rng, arrivals) == 0) continue;
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
    const LinkMatrix::Recovery r = LinkMatrix::stream_recovery(0.5, 0.5, rng);
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

// Lossy one way only: the acknowledgements come back over a clean link, so the first try
// that gets through is acknowledged, and a redial needs only its SYN through.
TEST(StreamLoss, ALinkLossyOneWayLosesDataButNotAcknowledgements) {
  Rng rng(3);
  int first_try = 0;
  constexpr int kTries = 100'000;
  for (int i = 0; i < kTries; ++i) {
    const LinkMatrix::Recovery r = LinkMatrix::stream_recovery(0.3, 0.0, rng);
    ASSERT_EQ(r.acknowledged, r.delivered);
    first_try += r.acknowledged == LinkMatrix::kStreamMinRtoUs;
  }
  EXPECT_NEAR(first_try, kTries * 0.7, kTries * 0.01) << "both ways it would be 0.49";
  // On the link itself: 0 -> 1 loses 30%, 1 -> 0 nothing: far fewer connections give up
  // (a lost segment's recovery needs only the data through), so far more arrives.
  const Outcome one_way = send_stream(LinkParams::LossModel::stream, 0.3, 7, 0.0);
  const Outcome both_ways = send_stream(LinkParams::LossModel::stream, 0.3, 7);
  EXPECT_GT(one_way.delivered, both_ways.delivered * 5 / 4)
      << one_way.delivered << " against " << both_ways.delivered;
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
  for (int i = 0; i < 100; ++i) EXPECT_EQ(links.transmit(0, 1, kApp, i * kEvery, rng, arrivals), 0);
  links.heal(0, 1, 100 * kEvery, rng);
  EXPECT_EQ(links.transmit(0, 1, kApp, 100 * kEvery, rng, arrivals), 1);
}

// Cuts 0 -> 1 and sends one append into the cut at `t`, which the link holds as `slot`.
void cut_and_send(LinkMatrix& links, Rng& rng, Micros t = 0, std::uint32_t slot = 1) {
  Micros at[2];
  links.set_up(0, 1, false);
  ASSERT_EQ(links.transmit(0, 1, kApp, t, rng, at), LinkMatrix::kHeld);
  links.hold(0, 1, kApp, slot);
}

// The resume a heal scheduled for `from -> to`'s channel (nullptr: none).
const LinkMatrix::Healed::Resume* find(const LinkMatrix::Healed& h, LinkMatrix::Channel c, int from,
                                       int to) {
  for (const auto& r : h.resumes)
    if (r.from == from && r.to == to && r.channel == c) return &r;
  return nullptr;
}
// When a heal resumes `from -> to`'s channel (-1: it does not), and with which epoch.
Micros resume_at(const LinkMatrix::Healed& h, LinkMatrix::Channel c, int from = 0, int to = 1) {
  const auto* r = find(h, c, from, to);
  return r ? r->at : -1;
}
std::uint32_t epoch(const LinkMatrix::Healed& h, LinkMatrix::Channel c, int from = 0, int to = 1) {
  const auto* r = find(h, c, from, to);
  return r ? r->epoch : 0;
}

// A cut under the stream model, as nftables does it to a TCP connection: the first segment
// sent into the cut is resent 200, 600 and 1400 ms after it was first sent; a heal gives
// the stream back at the first of those tries after it.
TEST(StreamCut, AHealGivesTheStreamBackAtTheNextRetransmissionWithEverythingInOrder) {
  LinkParams p;
  p.jitter_us = 0;
  LinkMatrix links(2, p);
  Rng rng(1);
  Micros at[2];
  constexpr Micros t0 = 1'000'000;
  cut_and_send(links, rng, t0, 10);
  EXPECT_EQ(links.transmit(0, 1, kApp, t0 + 100'000, rng, at), LinkMatrix::kHeld);
  links.hold(0, 1, kApp, 11);
  EXPECT_EQ(links.transmit(1, 0, kApp, t0, rng, at), 1)
      << "the other direction is not cut: its segments arrive (their acknowledgements not)";
  // Healed 250 ms after the first lost segment: the try at 200 ms was lost, the one at
  // 600 ms gets through.
  const LinkMatrix::Healed h = links.heal(0, 1, t0 + 250'000, rng);
  EXPECT_EQ(resume_at(h, kApp), t0 + 600'000);
  EXPECT_TRUE(h.lost.empty());
  // Sent after the heal but before that try: it waits behind the held ones.
  EXPECT_EQ(links.transmit(0, 1, kApp, t0 + 300'000, rng, at), LinkMatrix::kHeld);
  links.hold(0, 1, kApp, 12);
  EXPECT_TRUE(links.release(0, 1, kApp, epoch(h, kApp) + 1, resume_at(h, kApp), rng).empty())
      << "a release scheduled by another heal does nothing";
  const auto out = links.release(0, 1, kApp, epoch(h, kApp), resume_at(h, kApp), rng);
  ASSERT_EQ(out.size(), 3u);
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].first, 10 + i);
    EXPECT_EQ(out[i].second, t0 + 600'000 + p.delay_us);
  }
  EXPECT_EQ(links.transmit(0, 1, kApp, t0 + 700'000, rng, at), 1);
  EXPECT_EQ(at[0], t0 + 700'000 + p.delay_us) << "the stream flows again";
}

// etcd sends appends and everything else (heartbeats, votes) on two connections: each
// stalls on its own, from its own first lost segment.
TEST(StreamCut, HeartbeatsDoNotWaitBehindAStalledAppendStream) {
  LinkMatrix links(2, LinkParams{});
  Rng rng(1);
  Micros at[2];
  cut_and_send(links, rng);
  ASSERT_EQ(links.transmit(0, 1, LinkMatrix::Channel::message, 80'000, rng, at), LinkMatrix::kHeld);
  links.hold(0, 1, LinkMatrix::Channel::message, 2);
  const LinkMatrix::Healed h = links.heal(0, 1, 250'000, rng);
  EXPECT_EQ(resume_at(h, kApp), 600'000) << "appends: the try at 200 ms was lost";
  EXPECT_EQ(resume_at(h, kMsg), 280'000) << "heartbeats: their first try comes after the heal";
  const auto beat = links.release(0, 1, LinkMatrix::Channel::message, epoch(h, kMsg), 280'000, rng);
  ASSERT_EQ(beat.size(), 1u);
  EXPECT_EQ(beat[0].first, 2u);
  EXPECT_EQ(links.transmit(0, 1, kApp, 300'000, rng, at), LinkMatrix::kHeld)
      << "the append stream still waits";
}

TEST(StreamCut, ALinkCutWithNothingSentAcrossItComesBackAtOnce) {
  LinkMatrix links(2, LinkParams{});
  Rng rng(1);
  Micros at[2];
  links.set_up(0, 1, false);
  const LinkMatrix::Healed h = links.heal(0, 1, 5'000'000, rng);
  EXPECT_EQ(resume_at(h, kApp), -1);
  EXPECT_EQ(links.transmit(0, 1, kApp, 5'000'000, rng, at), 1);
}

TEST(StreamCut, PastTheGiveUpWhatWasHeldIsLostAndTheLinkReturnsWithARedial) {
  LinkParams p;
  p.jitter_us = 0;
  LinkMatrix links(2, p);
  Micros at[2];
  int lost_count = 0;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Rng rng(seed);
    LinkMatrix l = links;
    cut_and_send(l, rng, 0, 7);
    EXPECT_EQ(l.transmit(0, 1, kApp, LinkMatrix::kStreamGiveUpUs, rng, at), 0)
        << "the connection is closed: nothing more is held";
    constexpr Micros heal = 10'000'000;
    const LinkMatrix::Healed h = l.heal(0, 1, heal, rng);
    EXPECT_EQ(resume_at(h, kApp), -1);
    EXPECT_EQ(h.lost, std::vector<std::uint32_t>{7});
    lost_count += static_cast<int>(h.lost.size());
    // Lost until a redial gets through, within the reconnect time after the heal.
    Micros back = heal;
    while (l.transmit(0, 1, kApp, back, rng, at) == 0) back += 1'000;
    EXPECT_LE(back - heal, LinkMatrix::kStreamReconnectUs) << "seed " << seed;
    EXPECT_EQ(at[0], back + p.delay_us);
  }
  EXPECT_EQ(lost_count, 50);
}

TEST(StreamCut, TheRedialWaitIsSpreadOverTheReconnectTime) {
  LinkMatrix links(2, LinkParams{});
  Micros at[2];
  Micros shortest = LinkMatrix::kStreamReconnectUs, longest = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Rng rng(seed);
    LinkMatrix l = links;
    cut_and_send(l, rng);
    l.heal(0, 1, 30'000'000, rng);
    Micros back = 30'000'000;
    while (l.transmit(0, 1, kApp, back, rng, at) == 0) back += 10'000;
    shortest = std::min(shortest, back - 30'000'000);
    longest = std::max(longest, back - 30'000'000);
  }
  EXPECT_LE(shortest, LinkMatrix::kStreamReconnectUs / 10);
  EXPECT_GE(longest, LinkMatrix::kStreamReconnectUs * 9 / 10);
  EXPECT_LE(longest, LinkMatrix::kStreamReconnectUs);
}

TEST(StreamCut, CutAgainBeforeTheTryThatWouldGetThroughTheStreamWaitsForTheNextHeal) {
  LinkMatrix links(2, LinkParams{});
  Rng rng(1);
  cut_and_send(links, rng, 0, 3);
  const LinkMatrix::Healed first = links.heal(0, 1, 250'000, rng);
  ASSERT_EQ(resume_at(first, kApp), 600'000);
  links.set_up(0, 1, false);  // at 500 ms
  EXPECT_TRUE(links.release(0, 1, kApp, epoch(first, kApp), resume_at(first, kApp), rng).empty());
  const LinkMatrix::Healed second = links.heal(0, 1, 1'000'000, rng);
  EXPECT_EQ(resume_at(second, kApp), 1'400'000) << "the third try, 1.4 s after the first loss";
  EXPECT_EQ(links.release(0, 1, kApp, epoch(second, kApp), resume_at(second, kApp), rng).size(),
            1u);
}

TEST(StreamCut, CutAgainWhileRediallingTheConnectionStaysDownUntilTheNextHeal) {
  LinkMatrix links(2, LinkParams{});
  Rng rng(5);
  Micros at[2];
  cut_and_send(links, rng);
  constexpr Micros heal = 10'000'000;
  ASSERT_EQ(links.heal(0, 1, heal, rng).lost.size(), 1u);
  Micros back = heal;
  while (links.transmit(0, 1, kApp, back, rng, at) == 0) back += 1'000;
  ASSERT_GT(back, heal + 2'000) << "seed 5 draws a redial some way after the heal";
  // The same again, but the link is cut again before that redial: nothing is held (there
  // is no connection to stall), and the next heal redials afresh.
  LinkMatrix again(2, LinkParams{});
  Rng rng2(5);
  cut_and_send(again, rng2);
  again.heal(0, 1, heal, rng2);
  again.set_up(0, 1, false);
  EXPECT_EQ(again.transmit(0, 1, kApp, heal + 1'000, rng2, at), 0);
  EXPECT_EQ(again.transmit(0, 1, kApp, back + 1'000, rng2, at), 0) << "still cut";
  const LinkMatrix::Healed h = again.heal(0, 1, heal + 5'000'000, rng2);
  EXPECT_EQ(resume_at(h, kApp), -1);
  EXPECT_TRUE(h.lost.empty());
  EXPECT_EQ(again.transmit(0, 1, kApp, heal + 5'000'000 + LinkMatrix::kStreamReconnectUs, rng2, at),
            1);
}

TEST(StreamCut, ACrashedNodesConnectionsLoseWhatTheyHeld) {
  LinkMatrix links(3, LinkParams{});
  Rng rng(1);
  Micros at[2];
  links.set_up(0, 1, false);
  links.set_up(2, 0, false);
  links.transmit(0, 1, kApp, 0, rng, at);
  links.hold(0, 1, kApp, 4);
  links.transmit(2, 0, kApp, 0, rng, at);
  links.hold(2, 0, kApp, 5);
  std::vector<std::uint32_t> lost = links.reset_node(0);
  std::sort(lost.begin(), lost.end());
  EXPECT_EQ(lost, (std::vector<std::uint32_t>{4, 5}));
  EXPECT_TRUE(links.heal(0, 1, 300'000, rng).resumes.empty()) << "nothing is outstanding";
}

// A one-way cut under the stream model, as nftables does it: 0 -> 1 is dropped, so the
// connections 1 -> 0 deliver their segments but never hear the acknowledgements.
TEST(OneWayCut, TheReverseStreamsDeliverUntilTheirFirstTimeoutThenHold) {
  LinkParams p;
  p.jitter_us = 0;
  LinkMatrix links(2, p);
  Rng rng(1);
  Micros at[2];
  constexpr Micros t0 = 1'000'000;
  links.set_up(0, 1, false);
  EXPECT_EQ(links.transmit(1, 0, kMsg, t0, rng, at), 1);
  EXPECT_EQ(at[0], t0 + p.delay_us);
  EXPECT_EQ(links.transmit(1, 0, kMsg, t0 + 150'000, rng, at), 1) << "the window is open";
  EXPECT_EQ(links.transmit(1, 0, kMsg, t0 + 200'000, rng, at), LinkMatrix::kHeld)
      << "the first timeout collapsed it";
  links.hold(1, 0, kMsg, 8);
  EXPECT_EQ(links.transmit(1, 0, kApp, t0 + 200'000, rng, at), 1)
      << "the append stream stalls from its own first unacknowledged segment";
  // Healed 250 ms after the first unacknowledged segment: the try at 200 ms got through
  // but its acknowledgement did not; the one at 600 ms is acknowledged.
  const LinkMatrix::Healed h = links.heal(0, 1, t0 + 250'000, rng);
  EXPECT_EQ(resume_at(h, kMsg, 1, 0), t0 + 600'000);
  EXPECT_EQ(resume_at(h, kApp, 1, 0), -1) << "still inside its window: freed by the next ack";
  EXPECT_EQ(links.transmit(1, 0, kApp, t0 + 260'000, rng, at), 1);
  EXPECT_EQ(links.transmit(1, 0, kMsg, t0 + 300'000, rng, at), LinkMatrix::kHeld);
  links.hold(1, 0, kMsg, 9);
  const auto out = links.release(1, 0, kMsg, epoch(h, kMsg, 1, 0), t0 + 600'000, rng);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].first, 8u);
  EXPECT_EQ(out[1].first, 9u);
  EXPECT_EQ(links.transmit(1, 0, kMsg, t0 + 700'000, rng, at), 1) << "it flows again";
}

TEST(OneWayCut, TheReverseStreamGivesUpAndCannotRedialUntilTheHeal) {
  LinkParams p;
  p.jitter_us = 0;
  LinkMatrix links(2, p);
  Rng rng(3);
  Micros at[2];
  links.set_up(0, 1, false);
  ASSERT_EQ(links.transmit(1, 0, kMsg, 0, rng, at), 1);
  ASSERT_EQ(links.transmit(1, 0, kMsg, 300'000, rng, at), LinkMatrix::kHeld);
  links.hold(1, 0, kMsg, 5);
  EXPECT_EQ(links.transmit(1, 0, kMsg, LinkMatrix::kStreamGiveUpUs, rng, at), 0)
      << "given up: lost";
  EXPECT_EQ(links.transmit(1, 0, kMsg, 9'000'000, rng, at), 0) << "no redial completes";
  constexpr Micros heal = 10'000'000;
  const LinkMatrix::Healed h = links.heal(0, 1, heal, rng);
  EXPECT_TRUE(h.resumes.empty());
  EXPECT_EQ(h.lost, std::vector<std::uint32_t>{5});
  Micros back = heal;
  while (links.transmit(1, 0, kMsg, back, rng, at) == 0) back += 1'000;
  EXPECT_LE(back - heal, LinkMatrix::kStreamReconnectUs);
  EXPECT_EQ(at[0], back + p.delay_us);
}

// Both directions cut: whichever heals first, each stream resumes once, when both have.
TEST(OneWayCut, AStreamWaitsForBothDirectionsAndIsResumedOnce) {
  for (bool together : {false, true}) {
    LinkMatrix links(2, LinkParams{});
    Rng rng(1);
    Micros at[2];
    links.set_up(0, 1, false);
    links.set_up(1, 0, false);
    ASSERT_EQ(links.transmit(0, 1, kApp, 0, rng, at), LinkMatrix::kHeld);
    links.hold(0, 1, kApp, 1);
    ASSERT_EQ(links.transmit(1, 0, kApp, 0, rng, at), LinkMatrix::kHeld);
    links.hold(1, 0, kApp, 2);
    std::vector<LinkMatrix::Healed::Resume> resumes;
    if (together) {
      resumes = links.heal({{0, 1}, {1, 0}}, 700'000, rng).resumes;
    } else {
      EXPECT_TRUE(links.heal(0, 1, 250'000, rng).resumes.empty())
          << "0 -> 1's segments get through, 1 -> 0 still drops their acknowledgements";
      EXPECT_EQ(links.transmit(0, 1, kApp, 300'000, rng, at), LinkMatrix::kHeld);
      links.hold(0, 1, kApp, 3);
      resumes = links.heal(1, 0, 700'000, rng).resumes;
    }
    ASSERT_EQ(resumes.size(), 2u) << "together " << together;
    for (const auto& r : resumes) EXPECT_EQ(r.at, 1'400'000) << "the third try";
    EXPECT_EQ(resumes[together ? 0 : 1].from, 0);
    const auto out = links.release(0, 1, kApp, resumes[together ? 0 : 1].epoch, 1'400'000, rng);
    EXPECT_EQ(out.size(), together ? 1u : 2u);
  }
}

TEST(OneWayCut, ATryDueWhileTheReverseIsCutIsNotAcknowledged) {
  LinkMatrix links(2, LinkParams{});
  Rng rng(1);
  cut_and_send(links, rng, 0, 6);
  const LinkMatrix::Healed first = links.heal(0, 1, 250'000, rng);
  ASSERT_EQ(resume_at(first, kApp), 600'000);
  links.set_up(1, 0, false);  // at 500 ms, the acknowledgements' way
  EXPECT_TRUE(links.release(0, 1, kApp, epoch(first, kApp), 600'000, rng).empty());
  const LinkMatrix::Healed second = links.heal(1, 0, 1'000'000, rng);
  ASSERT_EQ(resume_at(second, kApp), 1'400'000) << "resumed by the reverse link's heal";
  const auto out = links.release(0, 1, kApp, epoch(second, kApp), 1'400'000, rng);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, 6u);
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
