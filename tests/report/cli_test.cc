// `faultline report` as a user runs it: exit code 0 and the files named on stdout for a
// good record; exit code 2, a message naming the folder, and nothing written for bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "test_files.h"

namespace faultline::report {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

Ran faultline(const TempDir& dir, const std::string& args) {
  std::string command = std::string(FAULTLINE_BINARY) + " " + args + " >" +
                        (dir / "out.txt").string() + " 2>" + (dir / "err.txt").string();
  int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_text(dir / "out.txt"),
          testing::read_text(dir / "err.txt")};
}

TEST(ReportCommand, AGoodRecordWritesThePageAndThePngs) {
  TempDir dir;
  auto ran = faultline(dir, "report tests/report/fixtures/cloudflare-2020/etcd-3.4/seed-7 -o " +
                                (dir / "r.html").string() + " --png " + (dir / "png").string());
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_NE(ran.out.find("r.html (1 run)"), std::string::npos) << ran.out;
  EXPECT_TRUE(fs::exists(dir / "r.html"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "png"), fs::directory_iterator()), 3);
  EXPECT_EQ(ran.err, "") << "quiet in a pipe: no progress bar";
}

TEST(ReportCommand, BadInputExitsWithTwoAndNamesTheFolder) {
  TempDir dir, empty;
  auto ran = faultline(dir, "report " + empty.path().string() + " -o " + (dir / "r.html").string());
  EXPECT_EQ(ran.exit_code, 2);
  EXPECT_NE(ran.err.find(empty.path().string() + ": not a run record"), std::string::npos)
      << ran.err;
  EXPECT_FALSE(fs::exists(dir / "r.html"));
}

}  // namespace
}  // namespace faultline::report
