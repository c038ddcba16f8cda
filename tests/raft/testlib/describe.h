// Compact, stable text forms of the core's data for the interaction tests' traces, in the
// style of etcd's raft (DescribeMessage, DescribeReady), so a trace reads like etcd's:
//   1->2 MsgApp Term:1 Log:1/3 Commit:3 Entries:[1/4 EntryNormal "foo"]
// The names are spelled here, not taken from the core's to_string(), so the expected
// traces do not change when the core's diagnostics do.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/types.h"

namespace faultline::raft::testlib {

// "MsgApp", "MsgVoteResp", ... and back (nullopt for an unknown name).
std::string_view message_type_name(MessageType t);
std::optional<MessageType> parse_message_type(std::string_view name);

// "StateLeader", "StateProbe", ...
std::string_view role_name(StateRole r);
std::string_view progress_state_name(ProgressState s);

std::string describe_entry(const Entry& e);
std::string describe_entries(const std::vector<Entry>& entries);  // "[1/1 ..., 1/2 ...]"
std::string describe_snapshot(const Snapshot& s);
std::string describe_message(const Message& m);
// Several lines: the Ready's parts that are present, each message on its own line.
std::vector<std::string> describe_ready(const Ready& rd);
// One line for the node, then one per peer's progress when it leads.
std::vector<std::string> describe_status(const Status& s);

}  // namespace faultline::raft::testlib
