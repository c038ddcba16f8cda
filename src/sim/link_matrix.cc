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
  l.broken_until = 0;
}

void LinkMatrix::restore_all() {
  for (auto& l : links_) {
    l.up = true;
    l.params = defaults_;
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

Micros LinkMatrix::stream_retransmission(double loss, Rng& rng) {
  Micros waited = 0;
  for (Micros rto = kStreamMinRtoUs; rng.chance(loss); rto *= 2) {
    waited += rto;
    if (waited > kStreamGiveUpUs) return -1;
  }
  return waited;
}

int LinkMatrix::transmit(int from, int to, Micros now, Rng& rng, Micros arrivals[2]) {
  Link& l = at(from, to);
  if (!l.up) return 0;
  Micros retransmission = 0;
  if (l.params.loss_model == LinkParams::LossModel::datagram || l.params.loss <= 0) {
    if (rng.chance(l.params.loss)) return 0;
  } else {
    if (now < l.broken_until) return 0;  // queued behind a message the connection gave up on
    // Data queued while the stream is held back goes out with the retransmission that
    // releases it (TCP resends what is queued, not message by message): no draw of its own.
    const bool queued_behind = now + l.params.delay_us < l.last_arrival;
    if (!queued_behind) retransmission = stream_retransmission(l.params.loss, rng);
    if (retransmission < 0) {
      // The connection gives up on this message after kStreamGiveUpUs and is redialled: it
      // is lost, and so is everything sent behind it meanwhile.
      l.broken_until = now + kStreamGiveUpUs;
      return 0;
    }
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
