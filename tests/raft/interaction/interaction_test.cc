// The interaction tests: every script under testdata/ is one test. Each script is a story
// told with commands and the exact trace they must print (docs/interaction-tests.md).
//   FAULTLINE_REWRITE=1 ./raft_interaction_tests   # rewrites the expected traces in place;
//                                                  # then READ the diff before keeping it
//   FAULTLINE_INTERACTION_FILE=/tmp/draft.txt FAULTLINE_REWRITE=1 ./raft_interaction_tests
//                                                  # drafts a new story outside testdata/
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "testlib/script_runner.h"

namespace faultline::raft::testlib {
namespace {

namespace fs = std::filesystem;

const fs::path kTestdata = FAULTLINE_INTERACTION_TESTDATA;

// The scripts CMake found under testdata/ (comma-separated), so that discovery and runs
// agree on the list.
// FAULTLINE_INTERACTION_FILE=/abs/path.txt runs that one file instead: how a new story is
// drafted before it joins testdata/.
std::vector<std::string> script_names() {
  std::vector<std::string> names;
  if (const char* one = std::getenv("FAULTLINE_INTERACTION_FILE"); one != nullptr && *one) {
    names.emplace_back(one);
    return names;
  }
  std::string_view list = FAULTLINE_INTERACTION_SCRIPTS;
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    names.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return names;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool rewriting() {
  const char* v = std::getenv("FAULTLINE_REWRITE");
  return v != nullptr && std::string(v) == "1";
}

class InteractionScript : public ::testing::TestWithParam<std::string> {};

TEST_P(InteractionScript, PrintsItsExpectedTrace) {
  const fs::path path = kTestdata / GetParam();
  const std::string text = read_file(path);
  ASSERT_FALSE(text.empty()) << "cannot read " << path;
  ScriptRun run;
  try {
    run = run_script(text, rewriting());
  } catch (const ScriptError& e) {
    FAIL() << path.string() << ": " << e.what();
  }
  if (rewriting()) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << run.script.render(run.actual);
    return;
  }
  if (run.mismatch) FAIL() << path.string() << ":" << run.mismatch->describe();
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Scripts, InteractionScript, ::testing::ValuesIn(script_names()),
                         test_name);

// The runner itself must be able to fail: a script whose expected trace is wrong is
// reported at the right line with both traces, and a broken command is an error.
TEST(InteractionRunner, ReportsAWrongTraceAtItsLine) {
  const std::string script =
      "# a correct first command, then a wrong expectation\n"
      "add-nodes 1\n"
      "----\n"
      "IGNORED\n"
      "\n";
  ScriptRun run = run_script(script, /*rewrite=*/false);
  ASSERT_TRUE(run.mismatch.has_value());
  EXPECT_EQ(run.mismatch->line, 2);
  EXPECT_EQ(run.mismatch->expected, std::vector<std::string>{"IGNORED"});
  EXPECT_NE(run.mismatch->actual, run.mismatch->expected);
}

TEST(InteractionRunner, RewriteKeepsTheCommentaryAndReplacesTheTrace) {
  const std::string script =
      "# the story\n"
      "add-nodes 1\n"
      "----\n"
      "IGNORED\n"
      "\n"
      "# the end\n";
  ScriptRun run = run_script(script, /*rewrite=*/true);
  const std::string rewritten = run.script.render(run.actual);
  EXPECT_EQ(rewritten.find("IGNORED"), std::string::npos);
  EXPECT_EQ(rewritten.rfind("# the story\nadd-nodes 1\n----\n", 0), 0u) << rewritten;
  EXPECT_NE(rewritten.find("\n\n# the end\n"), std::string::npos) << rewritten;
  // A rewritten script passes as written.
  EXPECT_FALSE(run_script(rewritten, /*rewrite=*/false).mismatch.has_value());
}

TEST(InteractionRunner, RefusesBrokenCommands) {
  EXPECT_THROW(run_script("no-such-command 1\n----\nok\n", false), ScriptError);
  EXPECT_THROW(run_script("add-nodes 3 electoin=10\n----\nok\n", false), ScriptError);
  EXPECT_THROW(run_script("add-nodes 3\nmissing separator\n", false), ScriptError);
}

}  // namespace
}  // namespace faultline::raft::testlib
