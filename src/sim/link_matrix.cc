// The directed-link network: see link_matrix.h.
#include "sim/link_matrix.h"

#include <algorithm>

namespace faultline::sim {

LinkMatrix::LinkMatrix(int nodes, const LinkParams& defaults)
    : nodes_(nodes), defaults_(defaults), links_(static_cast<std::size_t>(nodes * nodes)) {
  for (auto& l : links_) l.params = defaults;
}

void LinkMatrix::set_up(int from, int to, bool up) { at(from, to).up = up; }

void LinkMatrix::set_params(int from, int to, const LinkParams& params) {
  at(from, to).params = params;
}

void LinkMatrix::restore(int from, int to) {
  Link& l = at(from, to);
  l.up = true;
  l.params = defaults_;
  l.held_until = 0;
  l.broken_until = 0;
}

void LinkMatrix::restore_all() {
  for (auto& l : links_) {
    l.up = true;
    l.params = defaults_;
    l.held_until = 0;
    l.broken_until = 0;
  }
}

int LinkMatrix::faulty_links() const {
  int n = 0;
  for (int f = 0; f < nodes_; ++f)
    for (int t = 0; t < nodes_; ++t)
      if (f != t && (!at(f, t).up || !(at(f, t).params == defaults_))) ++n;
  return n;
}

Micros LinkMatrix::draw_delay(const LinkParams& p, Rng& rng) {
  Micros d = p.delay_us;
  if (p.jitter_us > 0) {
    d += static_cast<Micros>(rng.below(static_cast<std::uint64_t>(2 * p.jitter_us + 1))) -
         p.jitter_us;
  }
  return std::max<Micros>(d, 0);
}

LinkMatrix::Recovery LinkMatrix::stream_recovery(double loss, Rng& rng) {
  Recovery r;
  Micros waited = 0;
  for (Micros rto = kStreamMinRtoUs;; rto *= 2) {
    waited += rto;
    if (waited > kStreamGiveUpUs) return r;
    if (rng.chance(loss)) continue;  // the retransmission is lost too
    if (r.delivered < 0) r.delivered = waited;
    if (!rng.chance(loss)) {  // and its acknowledgement comes back
      r.acknowledged = waited;
      return r;
    }
  }
}

Micros LinkMatrix::stream_redial(double loss, Rng& rng) {
  const double through = (1 - loss) * (1 - loss);  // SYN and SYN-ACK
  Micros waited = kStreamRedialUs;
  // Bounded so that a link losing (nearly) everything stays down for minutes, not forever;
  // a heal restores the link at once anyway.
  for (int tries = 1; tries < 600 && !rng.chance(through); ++tries) waited += kStreamRedialUs;
  return waited;
}

int LinkMatrix::transmit(int from, int to, Micros now, Rng& rng, Micros arrivals[2]) {
  Link& l = at(from, to);
  if (!l.up) return 0;
  Micros retransmission = 0;
  if (l.params.loss_model == LinkParams::LossModel::datagram || l.params.loss <= 0) {
    if (rng.chance(l.params.loss)) return 0;
  } else if (now < l.broken_until) {
    return 0;  // the connection was given up and is being redialled: lost with it
  } else if (now < l.held_until) {
    // Sent while a lost segment is outstanding: it goes out once the sender hears that one
    // arrived (TCP resends the lost segment, not message by message): no draw of its own.
    retransmission = l.held_until - now;
  } else if (rng.chance(l.params.loss)) {
    const Recovery r = stream_recovery(l.params.loss, rng);
    if (r.acknowledged < 0) {
      // The connection gives up on it and is redialled: everything sent meanwhile is lost,
      // and so is this message unless one of its tries got through.
      l.broken_until = now + kStreamGiveUpUs + stream_redial(l.params.loss, rng);
      if (r.delivered < 0) return 0;
    } else {
      l.held_until = now + r.acknowledged;
    }
    retransmission = r.delivered;
  }
  int copies = rng.chance(l.params.duplicate) ? 2 : 1;
  for (int c = 0; c < copies; ++c) {
    Micros arrival = now + retransmission + draw_delay(l.params, rng);
    if (rng.chance(l.params.reorder)) {
      // A reordered packet takes its own, slower path outside the link's FIFO order: later
      // packets may overtake it.
      arrival += static_cast<Micros>(rng.below(static_cast<std::uint64_t>(l.params.delay_us + 1)));
    } else {
      arrival = std::max(arrival, l.last_arrival);
      l.last_arrival = arrival;
    }
    arrivals[c] = arrival;
  }
  return copies;
}

}  // namespace faultline::sim
