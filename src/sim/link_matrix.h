// The simulated network between nodes: one state per *directed* link (from -> to), each up
// or down, with its own delay, jitter, loss, duplication and reordering. Partial failures
// are exactly these per-direction states: the cloudflare cut is two links down of six.
// Links keep FIFO order (like the TCP streams a real cluster uses) unless a packet is
// chosen to reorder. Under the `stream` loss model (the default) a cut link is a TCP
// connection whose packets are dropped: see transmit() and heal().
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/rng.h"
#include "sim/scenario.h"

namespace faultline::sim {

class LinkMatrix {
 public:
  LinkMatrix(int nodes, const LinkParams& defaults);

  // Node indices are 0-based here (node id - 1).
  void set_up(int from, int to, bool up);
  void set_params(int from, int to, const LinkParams& params);

  // Each direction of a link carries two TCP connections, as etcd's transport has them:
  // appends (MsgApp, and snapshots) on one, every other message (heartbeats, votes,
  // responses) on the other, so a stalled append stream does not hold up heartbeats.
  enum class Channel : std::uint8_t { append = 0, message = 1 };
  static constexpr int kChannels = 2;

  // What a heal did to the messages cut links hold (stream loss model).
  struct Healed {
    // A stalled channel whose retransmission gets through at `at`: release() it then, with
    // this epoch.
    struct Resume {
      int from;
      int to;
      Channel channel;
      Micros at;
      std::uint32_t epoch;
    };
    std::vector<Resume> resumes;      // in the order the links were healed
    std::vector<std::uint32_t> lost;  // held messages the connections gave up with
  };
  // Back to up with the scenario's default parameters, at `now`: every link of `links` at
  // once (so the two directions of a cut heal together), then their streams. A heal also
  // frees the streams of the reverse direction that stalled only because their
  // acknowledgements rode this link (see transmit()).
  Healed heal(const std::vector<std::pair<int, int>>& links, Micros now, Rng& rng);
  Healed heal(int from, int to, Micros now, Rng& rng) { return heal({{from, to}}, now, rng); }
  // The retransmission scheduled by heal() with `epoch` is due: when the link and its
  // reverse (the acknowledgements') are still up, the messages the channel held, each with
  // its arrival time, in order (else none).
  std::vector<std::pair<std::uint32_t, Micros>> release(int from, int to, Channel channel,
                                                        std::uint32_t epoch, Micros now, Rng& rng);
  // The node crashed: its connections are closed and whatever they held is lost (returned).
  std::vector<std::uint32_t> reset_node(int node);

  bool up(int from, int to) const { return at(from, to).up; }
  const LinkParams& params(int from, int to) const { return at(from, to).params; }
  // How many links differ from "up with default parameters" (0: the network is whole).
  int faulty_links() const;

  // Decides the fate of one message sent now on `channel`: writes its arrival times to
  // `arrivals` and returns how many copies arrive (0: lost or link down, 1, or 2:
  // duplicated), or kHeld: the channel's stream is stalled on a cut and the caller hands
  // the message to hold().
  //
  // A cut under the `stream` loss model is what nftables does to a TCP connection: the
  // first segment sent into it is lost and resent at the retransmission timeout (200 ms,
  // 400 ms, 800 ms later: kStreamMinRtoUs doubling); everything sent behind it waits. A
  // heal gives the stream back at the first of those tries after it, not at once. When no
  // try got through within kStreamGiveUpUs the connection is given up, what it held is
  // lost, and so is everything sent until a redial finds the link healed (within
  // kStreamReconnectUs of the heal). A channel with nothing sent into the cut comes back
  // at once. Under the `datagram` model a cut drops each message and heals at once.
  //
  // A one-way cut is, for TCP, a cut of the reverse direction's connections too: their
  // segments arrive but the acknowledgements do not. So a stream whose reverse link is cut
  // delivers what it sends in its first retransmission timeout (the window open before the
  // timeout collapses it), then holds the rest behind the unacknowledged segment, gives up
  // at kStreamGiveUpUs and cannot redial (the handshake needs both directions) until the
  // reverse link heals; that heal gives it back at its next retransmission, as a cut's does.
  static constexpr int kHeld = -1;
  int transmit(int from, int to, Channel channel, Micros now, Rng& rng, Micros arrivals[2]);
  void hold(int from, int to, Channel channel, std::uint32_t slot) {
    at(from, to).streams[static_cast<int>(channel)].held.push_back(slot);
  }

  // One packet's one-way delay under `p` (also used for client traffic).
  static Micros draw_delay(const LinkParams& p, Rng& rng);

  // The stream loss model (LinkParams::LossModel::stream), TCP as Linux runs it on a LAN.
  // A lost segment is resent after the retransmission timeout (200 ms at least), which
  // doubles at each try that brings no acknowledgement back; while it is outstanding the
  // sender sends nothing new (one segment in flight after a timeout), so everything behind
  // it waits until a try *and its acknowledgement* get through: under loss p both ways a try
  // succeeds with (1-p)^2, and at 70% a stream that has lost one segment is as good as
  // dead; lossy one way only, with 1-p (the acknowledgements ride the reverse link).
  // A connection whose data stays unacknowledged for kStreamGiveUpUs is closed (faultline's
  // transport; etcd's stream readers time out the same way, a little later) and redialled:
  // a dial gets through when its SYN and SYN-ACK both do, one try per kStreamRedialUs.
  static constexpr Micros kStreamMinRtoUs = 200'000;
  static constexpr Micros kStreamGiveUpUs = 2'000'000;
  static constexpr Micros kStreamRedialUs = 1'000'000;
  // After a cut long enough for the connection to be given up, the link comes back within
  // this long of the heal (uniformly): the first dial whose SYN is sent after the heal. In
  // the lab (cloudflare-2020, a 20 s cut, nftables drop) real etcd 3.4's leader heard the
  // cut node 0.17-0.27 s after the heal (4 runs; etcd redials its streams every 100 ms),
  // faultline serve's 0.00-0.19 s (4 runs; it dials every 100 ms without waiting for a lost
  // SYN; 0.52-0.65 s with one dial at a time). The model follows etcd, whose rules the
  // profiles are.
  static constexpr Micros kStreamReconnectUs = 300'000;

  // One lost segment's recovery under loss `loss`: when the message itself gets through
  // (-1: not before the connection gives up) and when the sender hears of it, which frees
  // what waits behind it (-1: never; the connection gives up after kStreamGiveUpUs).
  struct Recovery {
    Micros delivered = -1;
    Micros acknowledged = -1;
  };
  // `ack_loss` is the reverse link's, over which the acknowledgements come back.
  static Recovery stream_recovery(double loss, double ack_loss, Rng& rng);
  // How long a redial takes under `loss` (and `ack_loss` for the SYN-ACK), from the moment
  // the connection was given up.
  static Micros stream_redial(double loss, double ack_loss, Rng& rng);

 private:
  struct Link {
    LinkParams params;
    bool up = true;
    Micros last_arrival = 0;  // FIFO: a packet never arrives before an earlier one
    Micros held_until = 0;    // stream loss model: a lost segment's recovery holds the rest
    Micros broken_until = 0;  // stream loss model: the connection gave up and is redialled
    // A cut under the stream loss model, per channel: since when a segment lost on it is
    // outstanding (-1: none), the messages waiting behind it (slots, in order), when the
    // connection was given up (-1: it was not) and, once healed, when a redial gets
    // through; the epoch of the pending release.
    struct Stream {
      Micros stalled_since = -1;
      std::vector<std::uint32_t> held;
      Micros gave_up_at = -1;
      Micros reconnect_at = 0;
      std::uint32_t epoch = 0;
      bool acks_lost = false;  // stalled or given up because the reverse link is cut
    };
    Stream streams[kChannels];
  };
  // Gives up a stalled connection at its give-up time: what it held goes to `lost`.
  static void give_up(Link::Stream& s, std::vector<std::uint32_t>& lost);
  // A stream whose segments are cut, or only its acknowledgements (`acks_only`: see "A
  // one-way cut" above), sends at `now`: 0 (lost), kHeld, or kSent: it goes out as on a
  // healthy link (acknowledgements lost, inside the first timeout's window).
  static constexpr int kSent = 1;
  static int stalled(Link::Stream& s, Micros now, bool acks_only);
  // Segments and acknowledgements get through again at `now`: a stalled channel resumes at
  // its next retransmission (or is given up), a given-up one is redialled.
  static void recover(Link::Stream& s, int from, int to, Channel channel, Micros now, Rng& rng,
                      Healed& h);
  Link& at(int from, int to) { return links_[static_cast<std::size_t>(from * nodes_ + to)]; }
  const Link& at(int from, int to) const {
    return links_[static_cast<std::size_t>(from * nodes_ + to)];
  }

  int nodes_;
  LinkParams defaults_;
  std::vector<Link> links_;
};

}  // namespace faultline::sim
