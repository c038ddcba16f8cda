// The five profiles of DESIGN.md as data. Their text is what `faultline profiles` prints.
#include "raft/profiles.h"

#include <array>
#include <string>

namespace faultline::raft {
namespace {

constexpr Switches make_switches(bool pre_vote, bool check_quorum, bool vote_lease,
                                 bool prevote_requires_no_leader) {
  Switches s;
  s.pre_vote = pre_vote;
  s.check_quorum = check_quorum;
  s.vote_lease = vote_lease;
  s.prevote_requires_no_leader = prevote_requires_no_leader;
  return s;
}

constexpr std::array<Profile, 5> kProfiles{{
    {"raft", "textbook Raft (the \"Cloudflare model\")",
     "No production switch: any higher-term message deposes a leader, so a node cut off "
     "from the leader but not from the others forces repeated elections.",
     make_switches(false, false, false, false)},
    {"etcd-3.4", "etcd 3.4 server defaults (what Cloudflare ran)",
     "CheckQuorum with its vote lease: a node that heard from the leader within the election "
     "timeout ignores higher-term votes, so a partial cut causes no election while it lasts, "
     "but the cut node's term climbs and deposes the leader once at heal.",
     make_switches(false, true, true, false)},
    {"etcd-3.5", "etcd 3.5+ defaults",
     "PreVote plus CheckQuorum and its lease: a cut node cannot win pre-votes, so its term "
     "never rises and neither the cut nor the heal causes an election.",
     make_switches(true, true, true, false)},
    {"prevote", "etcd's PreVote alone",
     "PreVote without CheckQuorum: a pre-vote is granted to any up-to-date node whatever the "
     "voter's leader, and a leader that lost its quorum never steps down.",
     make_switches(true, false, false, false)},
    {"thesis-prevote", "PreVote as the Raft thesis words it",
     "PreVote where a node refuses to grant a pre-vote while it hears from a leader; without "
     "CheckQuorum a leader that lost its quorum keeps its followers loyal, which can "
     "deadlock.",
     make_switches(true, false, false, true)},
}};

}  // namespace

std::span<const Profile> profiles() { return kProfiles; }

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : kProfiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string profile_names() {
  std::string out;
  for (const Profile& p : kProfiles) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace faultline::raft
