// A progress bar for long commands (explore, lab, multi-seed sim, report), with an estimate
// of the time left. It draws on stderr only when stderr is a terminal and CI is not "true",
// so pipes, logs and CI output stay clean. advance() may be called from any thread: the
// count is an atomic, and the line is redrawn at most ten times a second.
//
//   Progress progress("atlas", topologies.size());
//   for (...) { ...; progress.advance(); }
//   progress.finish();   // or let the destructor do it
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace faultline::cli {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  // Where a drawn line goes, and what time it is: replaceable for tests.
  struct Output {
    std::function<void(std::string_view)> write;
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
    int width = 80;  // the terminal's width in columns
  };

  // `total` 0 means unknown: the bar then shows a count and the elapsed time only.
  Progress(std::string label, std::uint64_t total);
  // Always draws into `output` (whether or not stderr is a terminal).
  Progress(std::string label, std::uint64_t total, Output output);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::uint64_t steps = 1);
  // Draws the final line (100%, the time taken) and ends it with a newline. Idempotent.
  void finish();

  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  bool enabled() const { return enabled_; }

  // True when stderr is a terminal and the environment variable CI is not "true".
  static bool stderr_wants_progress();
  // The line as drawn for `done` of `total` after `elapsed` (without the leading "\r").
  static std::string render(std::string_view label, std::uint64_t done, std::uint64_t total,
                            Clock::duration elapsed, int width, bool finished);

 private:
  void draw(bool final_line);

  // Redraws closer together than this are skipped (at most ~10 a second).
  static constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

  std::string label_;
  std::uint64_t total_;
  Output output_;
  bool enabled_;
  Clock::time_point started_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<Clock::rep> last_draw_;  // ticks of the last drawing, for the rate limit
  std::atomic<bool> finished_{false};
  std::mutex draw_mutex_;  // one thread draws at a time; others skip rather than wait
};

}  // namespace faultline::cli
