#include "cli/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace faultline::cli {

namespace {

int terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

// "45s", "3m05s", "1h02m": short enough for the end of a line.
std::string short_duration(std::chrono::steady_clock::duration d) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60);
}

}  // namespace

bool Progress::stderr_wants_progress() {
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::strcmp(ci, "true") == 0) return false;
  return ::isatty(STDERR_FILENO) == 1;
}

Progress::Progress(std::string label, std::uint64_t total)
    : Progress(std::move(label), total,
               Output{[](std::string_view s) {
                        std::fwrite(s.data(), 1, s.size(), stderr);
                        std::fflush(stderr);
                      },
                      [] { return Clock::now(); }, terminal_width()}) {
  enabled_ = stderr_wants_progress();
}

Progress::Progress(std::string label, std::uint64_t total, Output output)
    : label_(std::move(label)),
      total_(total),
      output_(std::move(output)),
      enabled_(true),
      started_(output_.now()),
      last_draw_(started_.time_since_epoch().count()) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::uint64_t steps) {
  done_.fetch_add(steps, std::memory_order_relaxed);
  if (!enabled_ || finished_.load(std::memory_order_relaxed)) return;
  auto now = output_.now().time_since_epoch().count();
  auto last = last_draw_.load(std::memory_order_relaxed);
  auto interval = std::chrono::duration_cast<Clock::duration>(kRedrawInterval).count();
  // Only the thread that moves last_draw_ forward draws; the rest return at once.
  if (now - last < interval || !last_draw_.compare_exchange_strong(last, now)) return;
  std::unique_lock lock(draw_mutex_, std::try_to_lock);
  if (lock.owns_lock() && !finished_.load()) draw(false);
}

void Progress::finish() {
  std::lock_guard lock(draw_mutex_);
  if (finished_.exchange(true)) return;
  if (enabled_) draw(true);
}

void Progress::draw(bool final_line) {
  auto elapsed = output_.now() - started_;
  std::string line = render(label_, done(), total_, elapsed, output_.width, final_line);
  // "\r" returns to the line's start; ESC[K clears what a longer earlier line left behind.
  output_.write(fmt::format("\r{}\x1b[K{}", line, final_line ? "\n" : ""));
}

std::string Progress::render(std::string_view label, std::uint64_t done, std::uint64_t total,
                             Clock::duration elapsed, int width, bool finished) {
  if (total == 0) {
    return fmt::format("{} {} done, {}", label, done,
                       finished ? "in " + short_duration(elapsed) : short_duration(elapsed));
  }
  std::uint64_t shown = std::min(done, total);
  double share = static_cast<double>(shown) / static_cast<double>(total);
  std::string tail;
  if (finished) {
    tail = fmt::format("done in {}", short_duration(elapsed));
  } else if (shown == 0) {
    tail = "estimating time left";
  } else {
    auto left = std::chrono::duration_cast<Clock::duration>(
        elapsed * (static_cast<double>(total - shown) / static_cast<double>(shown)));
    tail = fmt::format("~{} left", short_duration(left));
  }
  std::string numbers = fmt::format("{:3.0f}% {}/{} {}", share * 100, shown, total, tail);
  // The bar takes what the label and the numbers leave of the line, within 10..40 columns.
  int room = width - 1 - static_cast<int>(label.size() + numbers.size()) - 4;
  int bar_width = std::clamp(room, 10, 40);
  int filled = static_cast<int>(share * bar_width);
  return fmt::format("{} [{}{}] {}", label, std::string(filled, '#'),
                     std::string(bar_width - filled, '.'), numbers);
}

}  // namespace faultline::cli
