// The plain-text script format of the interaction tests (docs/interaction-tests.md), in the
// spirit of etcd's datadriven tests: a command line, a "----" line, then the exact output
// the command must print, ended by a blank line. Lines starting with '#' and blank lines
// between commands are the story's commentary and survive a rewrite untouched.
//
//   # node 1 campaigns; the others vote for it
//   campaign 1
//   ----
//   1 became candidate at term 1
//
// A command is a name followed by words; a word `key=value` is an option, any other word
// an argument. A word in double quotes may contain spaces.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::raft::testlib {

// A script that cannot be parsed, or a command that cannot be run as written.
class ScriptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Command {
  std::string name;
  std::vector<std::string> args;
  std::map<std::string, std::string> options;

  // Parses "name arg key=value ..."; throws ScriptError for an unterminated quote or a
  // repeated option.
  static Command parse(std::string_view line);
};

struct ScriptCase {
  int line = 0;  // 1-based line of the command in the file
  std::string command;
  std::vector<std::string> expected;
};

struct Script {
  // In file order: a part is either commentary kept verbatim or one case.
  struct Part {
    std::string verbatim;
    std::optional<ScriptCase> test;
  };
  std::vector<Part> parts;

  // Throws ScriptError (with the line number) for a command without its "----" line.
  static Script parse(std::string_view text);
  // The file again, each case's expected output replaced by `actual` (one entry per case,
  // in order). An empty output is written as "ok" so the blank line still ends the case.
  std::string render(const std::vector<std::vector<std::string>>& actual) const;
};

}  // namespace faultline::raft::testlib
