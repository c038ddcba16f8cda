// The checks a message from a peer must pass before it may touch the state machine:
// bad input gets a clear refusal and changes nothing (the core never half-processes a
// malformed message).
#pragma once

#include "raft/types.h"

namespace faultline::raft {

// ok, or why the message `m` received by node `self` must be refused:
//   local_message    - a local-only type (hup, beat, check_quorum, unreachable, snap_status);
//   unknown_node     - `from` is not a voter (`sender_is_member` false);
//   invalid_message  - addressed to another node, sent by ourselves, missing its term,
//                      entries that are not contiguous or not allowed on this type, or
//                      a snapshot message without a snapshot.
ErrorCode check_peer_message(const Message& m, NodeId self, bool sender_is_member);

}  // namespace faultline::raft
