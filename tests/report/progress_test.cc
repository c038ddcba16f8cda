// The shared progress bar: what a line says (share, count, time left), that it redraws at
// most ten times a second however often it is advanced, that concurrent advances are all
// counted, and that it stays quiet in CI and in pipes.
#include "cli/progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace faultline::cli {
namespace {

using namespace std::chrono_literals;

TEST(Progress, ALineShowsTheShareTheCountAndTheTimeLeft) {
  // 250 of 1000 in 30 s: 750 more at the same pace take 90 s.
  std::string line = Progress::render("atlas", 250, 1000, 30s, 80, false);
  EXPECT_NE(line.find("atlas ["), std::string::npos) << line;
  EXPECT_NE(line.find(" 25% 250/1000 ~1m30s left"), std::string::npos) << line;
  EXPECT_LE(line.size(), 80u);
  EXPECT_NE(Progress::render("atlas", 0, 1000, 1s, 80, false).find("estimating"),
            std::string::npos);
  EXPECT_NE(
      Progress::render("atlas", 1000, 1000, 3723s, 80, true).find("100% 1000/1000 done in 1h02m"),
      std::string::npos);
  // Unknown total: a count and the elapsed time.
  EXPECT_EQ(Progress::render("seeds", 7, 0, 12s, 80, false), "seeds 7 done, 12s");
  // Over-counting never draws more than 100%.
  EXPECT_NE(Progress::render("x", 12, 10, 1s, 80, false).find("100% 10/10"), std::string::npos);
}

TEST(Progress, TheBarFillsInProportion) {
  std::string half = Progress::render("p", 50, 100, 1s, 80, false);
  auto open = half.find('['), close = half.find(']');
  std::string bar = half.substr(open + 1, close - open - 1);
  auto filled = std::count(bar.begin(), bar.end(), '#');
  EXPECT_EQ(static_cast<std::size_t>(filled * 2), bar.size()) << half;
}

// A fake clock and a recorder of what was drawn.
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> lines;
  Progress::Clock::time_point now{};
  Progress::Output output() {
    return {[this](std::string_view s) {
              std::lock_guard lock(mutex);
              lines.emplace_back(s);
            },
            [this] { return now; }, 80};
  }
};

TEST(Progress, RedrawsAtMostTenTimesASecond) {
  Recorder rec;
  {
    Progress p("sweep", 100'000, rec.output());
    // 100 000 advances over 2 simulated seconds (20 µs apart): at most ~20 redraws.
    for (int i = 0; i < 100'000; ++i) {
      rec.now += 20us;
      p.advance();
    }
    EXPECT_GE(rec.lines.size(), 15u);
    EXPECT_LE(rec.lines.size(), 21u);
    EXPECT_EQ(rec.lines.back().find('\n'), std::string::npos) << "no newline before finish";
  }  // the destructor finishes
  EXPECT_NE(rec.lines.back().find("done in 2s\x1b[K\n"), std::string::npos) << rec.lines.back();
  EXPECT_EQ(rec.lines.back().front(), '\r');
}

TEST(Progress, AdvancesFromManyThreadsAreAllCounted) {
  Recorder rec;
  Progress p("parallel", 40'000, rec.output());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&p] {
      for (int i = 0; i < 10'000; ++i) p.advance();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(p.done(), 40'000u);
  p.finish();
  p.finish();  // idempotent: one final line only
  EXPECT_EQ(std::count_if(rec.lines.begin(), rec.lines.end(),
                          [](const std::string& l) { return l.find('\n') != std::string::npos; }),
            1);
}

TEST(Progress, StaysQuietInCiAndInPipes) {
  const char* old = std::getenv("CI");
  std::string saved = old ? old : "";
  ::setenv("CI", "true", 1);
  EXPECT_FALSE(Progress::stderr_wants_progress());
  Progress quiet("ci", 10);  // stderr-bound: must not draw
  EXPECT_FALSE(quiet.enabled());
  quiet.advance(10);
  if (old) {
    ::setenv("CI", saved.c_str(), 1);
  } else {
    ::unsetenv("CI");
  }
  // Under ctest, stderr is a pipe or a file: no bar.
  if (::isatty(STDERR_FILENO) == 0) {
    EXPECT_FALSE(Progress::stderr_wants_progress());
  }
}

}  // namespace
}  // namespace faultline::cli
