// The directed-link network: see link_matrix.h.
#include "sim/link_matrix.h"

#include <algorithm>
#include <utility>

namespace faultline::sim {

LinkMatrix::LinkMatrix(int nodes, const LinkParams& defaults)
    : nodes_(nodes), defaults_(defaults), links_(static_cast<std::size_t>(nodes * nodes)) {
  for (auto& l : links_) l.params = defaults;
}

void LinkMatrix::set_up(int from, int to, bool up) { at(from, to).up = up; }

void LinkMatrix::set_params(int from, int to, const LinkParams& params) {
  at(from, to).params = params;
}

LinkMatrix::Healed LinkMatrix::heal(const std::vector<std::pair<int, int>>& links, Micros now,
                                    Rng& rng) {
  std::vector<bool> was_cut(links.size());
  for (std::size_t i = 0; i < links.size(); ++i) {
    Link& l = at(links[i].first, links[i].second);
    was_cut[i] = !l.up;
    l.up = true;
    l.params = defaults_;
    l.held_until = 0;
    l.broken_until = 0;
  }
  auto cut_here = [&](int from, int to) {
    for (std::size_t i = 0; i < links.size(); ++i)
      if (was_cut[i] && links[i] == std::pair{from, to}) return true;
    return false;
  };
  Healed h;
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (!was_cut[i]) continue;
    const auto [from, to] = links[i];
    const bool acks_through = at(to, from).up;
    for (int c = 0; c < kChannels; ++c) {
      Link::Stream& s = at(from, to).streams[c];
      if (acks_through) {
        recover(s, from, to, static_cast<Channel>(c), now, rng, h);
      } else if (s.stalled_since >= 0 || s.gave_up_at >= 0) {
        s.acks_lost = true;  // the segments get through now, their acknowledgements not yet
      }
    }
    // The reverse direction's streams that waited only for acknowledgements over this link
    // (when the reverse link was cut too and heals now, its own heal above or below frees
    // them: once).
    if (!acks_through || cut_here(to, from)) continue;
    for (int c = 0; c < kChannels; ++c) {
      Link::Stream& s = at(to, from).streams[c];
      if (s.acks_lost) recover(s, to, from, static_cast<Channel>(c), now, rng, h);
    }
  }
  return h;
}

void LinkMatrix::recover(Link::Stream& s, int from, int to, Channel channel, Micros now, Rng& rng,
                         Healed& h) {
  const bool acks_lost = std::exchange(s.acks_lost, false);
  if (acks_lost && s.held.empty() && now < s.stalled_since + kStreamMinRtoUs) {
    s.stalled_since = -1;  // before the first timeout: the next acknowledgement frees all
    return;
  }
  if (s.stalled_since >= 0) {
    // The first retransmission at or after the heal gets through, unless the connection
    // gives up before it is due.
    Micros due = s.stalled_since;
    for (Micros rto = kStreamMinRtoUs; due < now; rto *= 2) due += rto;
    if (due < s.stalled_since + kStreamGiveUpUs) {
      h.resumes.push_back({from, to, channel, due, ++s.epoch});
      return;
    }
    give_up(s, h.lost);
  }
  if (s.gave_up_at >= 0) {
    // Redials fail while the link is cut, one per kStreamReconnectUs at a phase of their
    // own; the first after the heal gets through.
    Micros redial = s.gave_up_at + 1 +
                    static_cast<Micros>(rng.below(static_cast<std::uint64_t>(kStreamReconnectUs)));
    while (redial < now) redial += kStreamReconnectUs;
    s.reconnect_at = redial;
    s.gave_up_at = -1;
  }
}

void LinkMatrix::give_up(Link::Stream& s, std::vector<std::uint32_t>& lost) {
  lost.insert(lost.end(), s.held.begin(), s.held.end());
  s.held.clear();
  s.gave_up_at = s.stalled_since + kStreamGiveUpUs;
  s.stalled_since = -1;
}

std::vector<std::pair<std::uint32_t, Micros>> LinkMatrix::release(int from, int to, Channel channel,
                                                                  std::uint32_t epoch, Micros now,
                                                                  Rng& rng) {
  Link& l = at(from, to);
  Link::Stream& s = l.streams[static_cast<int>(channel)];
  std::vector<std::pair<std::uint32_t, Micros>> out;
  // Cut again since the heal (the try is lost: a later heal schedules the next one), or
  // the connection was reset meanwhile.
  if (epoch != s.epoch || !l.up || s.stalled_since < 0) return out;
  if (!at(to, from).up) {
    // The try arrives but its acknowledgement is lost: the reverse link's heal resumes it.
    s.acks_lost = true;
    return out;
  }
  s.stalled_since = -1;
  out.reserve(s.held.size());
  for (std::uint32_t slot : s.held) {
    const Micros arrival = std::max(now + draw_delay(l.params, rng), l.last_arrival);
    l.last_arrival = arrival;
    out.emplace_back(slot, arrival);
  }
  s.held.clear();
  return out;
}

std::vector<std::uint32_t> LinkMatrix::reset_node(int node) {
  std::vector<std::uint32_t> lost;
  for (int other = 0; other < nodes_; ++other) {
    if (other == node) continue;
    for (Link* l : {&at(node, other), &at(other, node)}) {
      for (Link::Stream& s : l->streams) {
        lost.insert(lost.end(), s.held.begin(), s.held.end());
        const std::uint32_t epoch = s.epoch + 1;  // a release still pending finds it reset
        s = {};
        s.epoch = epoch;
      }
    }
  }
  return lost;
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

LinkMatrix::Recovery LinkMatrix::stream_recovery(double loss, double ack_loss, Rng& rng) {
  Recovery r;
  Micros waited = 0;
  for (Micros rto = kStreamMinRtoUs;; rto *= 2) {
    waited += rto;
    if (waited > kStreamGiveUpUs) return r;
    if (rng.chance(loss)) continue;  // the retransmission is lost too
    if (r.delivered < 0) r.delivered = waited;
    if (!rng.chance(ack_loss)) {  // and its acknowledgement comes back
      r.acknowledged = waited;
      return r;
    }
  }
}

Micros LinkMatrix::stream_redial(double loss, double ack_loss, Rng& rng) {
  const double through = (1 - loss) * (1 - ack_loss);  // SYN, and SYN-ACK on the way back
  Micros waited = kStreamRedialUs;
  // Bounded so that a link losing (nearly) everything stays down for minutes, not forever;
  // a heal restores the link at once anyway.
  for (int tries = 1; tries < 600 && !rng.chance(through); ++tries) waited += kStreamRedialUs;
  return waited;
}

int LinkMatrix::stalled(Link::Stream& s, Micros now, bool acks_only) {
  if (s.gave_up_at >= 0) return 0;  // closed; a redial's handshake cannot complete
  if (now < s.reconnect_at) {
    s.gave_up_at = now;  // cut again before the redial got through: it goes on redialling
    s.acks_lost |= acks_only;
    return 0;
  }
  if (s.stalled_since < 0) {
    s.stalled_since = now;  // this segment is the one resent (or never acknowledged)
    s.acks_lost |= acks_only;
  }
  // Past the give-up the connection is closed: lost (what it held is lost at the heal).
  if (now >= s.stalled_since + kStreamGiveUpUs) return 0;
  // Acknowledgements lost only: inside the window open before the first timeout, unless
  // something is held already, the segment goes out.
  if (acks_only && s.acks_lost && s.held.empty() && now < s.stalled_since + kStreamMinRtoUs)
    return kSent;
  return kHeld;
}

int LinkMatrix::transmit(int from, int to, Channel channel, Micros now, Rng& rng,
                         Micros arrivals[2]) {
  Link& l = at(from, to);
  Link::Stream& s = l.streams[static_cast<int>(channel)];
  const bool stream = l.params.loss_model == LinkParams::LossModel::stream;
  if (!l.up) return stream ? stalled(s, now, false) : 0;
  if (stream && !at(to, from).up) {
    if (const int fate = stalled(s, now, true); fate != kSent) return fate;
  } else if (s.stalled_since >= 0) {
    return kHeld;  // healed: waits for the try that gets through
  }
  if (stream && now < std::max(l.broken_until, s.reconnect_at))
    return 0;  // given up and redialled: lost with it
  Micros retransmission = 0;
  if (!stream || l.params.loss <= 0) {
    if (rng.chance(l.params.loss)) return 0;
  } else if (now < l.held_until) {
    // Sent while a lost segment is outstanding: it goes out once the sender hears that one
    // arrived (TCP resends the lost segment, not message by message): no draw of its own.
    retransmission = l.held_until - now;
  } else if (rng.chance(l.params.loss)) {
    // The acknowledgements (and a redial's SYN-ACK) come back over the reverse link, with
    // its loss: a link lossy one way only loses data, not acknowledgements.
    const Link& back = at(to, from);
    const double ack_loss = back.up ? back.params.loss : 1.0;
    const Recovery r = stream_recovery(l.params.loss, ack_loss, rng);
    if (r.acknowledged < 0) {
      // The connection gives up on it and is redialled: everything sent meanwhile is lost,
      // and so is this message unless one of its tries got through.
      l.broken_until = now + kStreamGiveUpUs + stream_redial(l.params.loss, ack_loss, rng);
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
