// Named profiles: presets of Switches, the rows of every comparison table. A profile is
// data, listed by `faultline profiles`; nothing else in the code branches on its name.
#pragma once

#include <span>
#include <string_view>

#include "raft/config.h"

namespace faultline::raft {

struct Profile {
  std::string_view name;         // "etcd-3.4"
  std::string_view models;       // what it stands for, one line
  std::string_view description;  // why it behaves as it does, a sentence or two
  Switches switches;
};

// All profiles, in the order tables list them.
std::span<const Profile> profiles();

// The profile called `name`, or nullptr.
const Profile* find_profile(std::string_view name);

// A comma-separated list of profile names, for error messages.
std::string profile_names();

}  // namespace faultline::raft
