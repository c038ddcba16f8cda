// The simulated network between nodes: one state per *directed* link (from -> to), each up
// or down, with its own delay, jitter, loss, duplication and reordering. Partial failures
// are exactly these per-direction states: the cloudflare cut is two links down of six.
// Links keep FIFO order (like the TCP streams a real cluster uses) unless a packet is
// chosen to reorder.
#pragma once

#include <cstdint>
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
  // Back to up with the scenario's default parameters.
  void restore(int from, int to);
  void restore_all();

  bool up(int from, int to) const { return at(from, to).up; }
  const LinkParams& params(int from, int to) const { return at(from, to).params; }
  // How many links differ from "up with default parameters" (0: the network is whole).
  int faulty_links() const;

  // Decides the fate of one packet sent now: writes its arrival times to `arrivals` and
  // returns how many copies arrive (0: lost or link down, 1, or 2: duplicated).
  int transmit(int from, int to, Micros now, Rng& rng, Micros arrivals[2]);

  // One packet's one-way delay under `p` (also used for client traffic).
  static Micros draw_delay(const LinkParams& p, Rng& rng);

  // The stream loss model (LinkParams::LossModel::stream), TCP as Linux runs it on a LAN.
  // A lost segment is resent after the retransmission timeout (200 ms at least), which
  // doubles at each try that brings no acknowledgement back; while it is outstanding the
  // sender sends nothing new (one segment in flight after a timeout), so everything behind
  // it waits until a try *and its acknowledgement* get through: under loss p a try succeeds
  // with (1-p)^2, and at 70% loss a stream that has lost one segment is as good as dead.
  // A connection whose data stays unacknowledged for kStreamGiveUpUs is closed (faultline's
  // transport; etcd's stream readers time out the same way, a little later) and redialled:
  // a dial gets through when its SYN and SYN-ACK both do, one try per kStreamRedialUs.
  static constexpr Micros kStreamMinRtoUs = 200'000;
  static constexpr Micros kStreamGiveUpUs = 2'000'000;
  static constexpr Micros kStreamRedialUs = 1'000'000;

  // One lost segment's recovery under loss `loss`: when the message itself gets through
  // (-1: not before the connection gives up) and when the sender hears of it, which frees
  // what waits behind it (-1: never; the connection gives up after kStreamGiveUpUs).
  struct Recovery {
    Micros delivered = -1;
    Micros acknowledged = -1;
  };
  static Recovery stream_recovery(double loss, Rng& rng);
  // How long a redial takes under `loss`, from the moment the connection was given up.
  static Micros stream_redial(double loss, Rng& rng);

 private:
  struct Link {
    LinkParams params;
    bool up = true;
    Micros last_arrival = 0;  // FIFO: a packet never arrives before an earlier one
    Micros held_until = 0;    // stream loss model: a lost segment's recovery holds the rest
    Micros broken_until = 0;  // stream loss model: the connection gave up and is redialled
  };
  Link& at(int from, int to) { return links_[static_cast<std::size_t>(from * nodes_ + to)]; }
  const Link& at(int from, int to) const {
    return links_[static_cast<std::size_t>(from * nodes_ + to)];
  }

  int nodes_;
  LinkParams defaults_;
  std::vector<Link> links_;
};

}  // namespace faultline::sim
