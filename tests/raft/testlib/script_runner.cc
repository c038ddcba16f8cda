#include "testlib/script_runner.h"

#include "testlib/interaction_env.h"

namespace faultline::raft::testlib {
namespace {

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "    " + l + "\n";
  return out.empty() ? "    (nothing)\n" : out;
}

}  // namespace

std::string Mismatch::describe() const {
  return "line " + std::to_string(line) + ": " + command + "\n  expected:\n" + join(expected) +
         "  actual:\n" + join(actual);
}

ScriptRun run_script(std::string_view text, bool rewrite) {
  ScriptRun run;
  run.script = Script::parse(text);
  InteractionEnv env;
  for (const Script::Part& part : run.script.parts) {
    if (!part.test) continue;
    const ScriptCase& c = *part.test;
    std::vector<std::string> actual;
    try {
      actual = env.run(Command::parse(c.command));
    } catch (const ScriptError& e) {
      throw ScriptError("line " + std::to_string(c.line) + ": " + e.what());
    }
    if (actual.empty()) actual.push_back("ok");
    if (!rewrite && actual != c.expected) {
      run.mismatch = Mismatch{c.line, c.command, c.expected, actual};
      run.actual.push_back(std::move(actual));
      return run;
    }
    run.actual.push_back(std::move(actual));
  }
  return run;
}

}  // namespace faultline::raft::testlib
