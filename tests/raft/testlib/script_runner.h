// Runs a whole interaction script in a fresh InteractionEnv and compares each command's
// output with the expected output written below it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testlib/script.h"

namespace faultline::raft::testlib {

struct Mismatch {
  int line = 0;  // the command's line in the script
  std::string command;
  std::vector<std::string> expected;
  std::vector<std::string> actual;
  std::string describe() const;  // both outputs, ready for a test failure message
};

struct ScriptRun {
  Script script;
  // One output per case, as far as the run got (every case when rewriting).
  std::vector<std::vector<std::string>> actual;
  // The first case whose output differs; the run stops there unless rewriting, because
  // everything after a divergence is noise.
  std::optional<Mismatch> mismatch;
};

// Throws ScriptError for a script that cannot be parsed or a command that cannot be run
// as written (with the line number).
ScriptRun run_script(std::string_view text, bool rewrite);

}  // namespace faultline::raft::testlib
