// Bad input gets a clear message naming the file and the problem, and leaves nothing
// behind: no report, no half-written report, no temporaries.
#include <gtest/gtest.h>

#include "report/report.h"
#include "test_files.h"

namespace faultline::report {
namespace {

using testing::TempDir;

const fs::path kEtcd34 = testing::kFixtures / "cloudflare-2020" / "etcd-3.4" / "seed-7";
const fs::path kEtcd35 = testing::kFixtures / "cloudflare-2020" / "etcd-3.5" / "seed-7";

// Runs make_report and returns the ReportError's message ("" if nothing was thrown).
std::string failure_of(const ReportOptions& options) {
  try {
    make_report(options);
  } catch (const ReportError& e) {
    return e.what();
  }
  return "";
}

bool empty_folder(const fs::path& dir) { return fs::is_empty(dir); }

TEST(BadInput, AFolderThatIsNotARunRecordIsNamedAndNothingIsWritten) {
  TempDir in, out;
  testing::write_text(in / "notes.txt", "not a record");
  ReportOptions options;
  options.inputs = {in.path()};
  options.output = out / "report.html";
  std::string message = failure_of(options);
  EXPECT_NE(message.find(in.path().string()), std::string::npos) << message;
  EXPECT_NE(message.find("not a run record"), std::string::npos) << message;
  EXPECT_TRUE(empty_folder(out.path()));
}

TEST(BadInput, AMissingPathIsNamed) {
  TempDir out;
  ReportOptions options;
  options.inputs = {out / "nowhere"};
  options.output = out / "report.html";
  EXPECT_NE(failure_of(options).find("nowhere: no such file or folder"), std::string::npos);
  EXPECT_TRUE(empty_folder(out.path()));
}

TEST(BadInput, ATruncatedRecordNamesTheFileAndLeavesNoReport) {
  TempDir in, out;
  fs::copy(kEtcd34, in.path(), fs::copy_options::recursive);
  std::string ops = testing::read_text(in / "ops.csv");
  testing::write_text(in / "ops.csv", ops.substr(0, ops.size() / 2));  // cut mid-line
  ReportOptions options;
  options.inputs = {in.path()};
  options.output = out / "report.html";
  options.png_dir = out / "png";
  std::string message = failure_of(options);
  EXPECT_NE(message.find("ops.csv"), std::string::npos) << message;
  EXPECT_TRUE(empty_folder(out.path())) << "not even the PNG folder";
}

TEST(BadInput, RunsOfDifferentScenariosCannotShareAComparison) {
  TempDir in, out;
  auto other = record::load(kEtcd35);
  other.meta.scenario = "leader-crash";
  record::save(other, in / "leader-crash");
  ReportOptions options;
  options.inputs = {kEtcd34, in / "leader-crash"};
  options.output = out / "report.html";
  std::string message = failure_of(options);
  EXPECT_NE(message.find("different scenarios"), std::string::npos) << message;
  EXPECT_NE(message.find("\"cloudflare-2020\""), std::string::npos) << message;
  EXPECT_NE(message.find("\"leader-crash\""), std::string::npos) << message;
  EXPECT_TRUE(empty_folder(out.path()));
}

TEST(BadInput, AnAtlasMustBeGivenAlone) {
  TempDir out;
  ReportOptions options;
  options.inputs = {testing::kFixtures / "atlas-3", kEtcd34};
  options.output = out / "report.html";
  EXPECT_NE(failure_of(options).find("give it alone"), std::string::npos);
  EXPECT_TRUE(empty_folder(out.path()));
}

TEST(BadInput, AnAtlasWithABrokenLabRunIsNamedByFieldAndNothingIsWritten) {
  TempDir in, out;
  std::string atlas = testing::read_text(testing::kFixtures / "atlas-3-lab" / "atlas.json");
  const std::string agreed = R"("agreement": "agrees",)";
  const auto at = atlas.find(agreed);
  ASSERT_NE(at, std::string::npos);
  atlas.replace(at, agreed.size(), R"("agreement": 1,)");  // t02's etcd-3.4 run
  testing::write_text(in / "atlas.json", atlas);
  ReportOptions options;
  options.inputs = {in.path()};
  options.output = out / "atlas.html";
  options.png_dir = out / "png";
  std::string message = failure_of(options);
  EXPECT_NE(message.find("atlas.json: topologies[1].results.etcd-3.4.lab[0].agreement: missing "
                         "or not a string"),
            std::string::npos)
      << message;
  EXPECT_TRUE(empty_folder(out.path()));
}

TEST(BadInput, AnUnwritablePngFolderLeavesNoHalfReport) {
  TempDir out;
  testing::write_text(out / "png", "a file where the folder should be");
  ReportOptions options;
  options.inputs = {kEtcd34};
  options.output = out / "report.html";
  options.png_dir = out / "png";
  EXPECT_NE(failure_of(options).find("cannot create the folder"), std::string::npos);
  EXPECT_FALSE(fs::exists(out / "report.html"));
  EXPECT_EQ(std::distance(fs::directory_iterator(out.path()), fs::directory_iterator()), 1);
}

TEST(BadInput, AFailingPngWriteRemovesTheStagedPageToo) {
  TempDir out;
  fs::create_directories(out / "png");
  // A folder where one PNG must go: its rename fails after the page was staged.
  fs::create_directories(out / "png" / "sim-faultline-etcd-3.4-seed-7-nodes.png" / "x");
  ReportOptions options;
  options.inputs = {kEtcd34};
  options.output = out / "report.html";
  options.png_dir = out / "png";
  EXPECT_NE(failure_of(options), "");
  EXPECT_FALSE(fs::exists(out / "report.html"));
  for (const auto& e : fs::recursive_directory_iterator(out.path())) {
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace faultline::report
