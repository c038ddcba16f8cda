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
}

void LinkMatrix::restore_all() {
  for (auto& l : links_) {
    l.up = true;
    l.params = defaults_;
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

int LinkMatrix::transmit(int from, int to, Micros now, Rng& rng, Micros arrivals[2]) {
  Link& l = at(from, to);
  if (!l.up || rng.chance(l.params.loss)) return 0;
  int copies = rng.chance(l.params.duplicate) ? 2 : 1;
  for (int c = 0; c < copies; ++c) {
    Micros arrival = now + draw_delay(l.params, rng);
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
