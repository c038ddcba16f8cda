// The report as a reader sees it: headless Chromium (Debian's `chromium`, installed by this
// test when missing) opens the page from a file. Every host name is made unresolvable, so
// nothing can leave the machine, and Chromium's NetLog records any request the page tries.
// The page must load and render (the DOM Chromium dumps has every figure), log no console
// message, ask for nothing but itself, and its screenshot must be a real picture with the
// figures' colours in it. A control page with an external image and a console error shows
// that these checks do catch what they look for. Labelled slow.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/report.h"
#include "test_files.h"

namespace faultline::report {
namespace {

using testing::TempDir;

int run_shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have_chromium() { return run_shell("command -v chromium >/dev/null 2>&1") == 0; }

// Installs Debian's chromium when it is missing and we are root; false if it is still absent.
bool ensure_chromium(const fs::path& log) {
  if (have_chromium()) return true;
  if (::geteuid() != 0) return false;
  std::string install =
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium";
  run_shell(install + " >" + log.string() + " 2>&1 || (apt-get update -qq >>" + log.string() +
            " 2>&1 && " + install + " >>" + log.string() + " 2>&1)");
  return have_chromium();
}

std::string chromium(const fs::path& profile, const std::string& args) {
  // An empty profile, no background services, no proxy, and no host name resolves.
  return "timeout 180 chromium --headless --no-sandbox --disable-gpu --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync "
         "--disable-default-apps --no-proxy-server --host-resolver-rules='MAP * ~NOTFOUND' "
         "--enable-logging=stderr --v=0 --user-data-dir=" +
         profile.string() + " " + args;
}

struct Visit {
  std::string log;                         // Chromium's stderr
  std::vector<std::string> page_requests;  // URLs the page asked for, other than file:/data:
  fs::path screenshot;
};

// Opens `page` once: a screenshot, the log, and the NetLog of every request.
Visit visit(const TempDir& dir, const fs::path& page, const std::string& name) {
  Visit v;
  v.screenshot = dir / (name + ".png");
  fs::path netlog = dir / (name + "-net.json");
  std::string command =
      chromium(dir / (name + "-profile"),
               "--hide-scrollbars --window-size=1100,1600 --screenshot=" + v.screenshot.string() +
                   " --log-net-log=" + netlog.string() + " file://" + fs::absolute(page).string());
  int rc = run_shell(command + " >/dev/null 2>" + (dir / (name + ".log")).string());
  v.log = testing::read_text(dir / (name + ".log"));
  EXPECT_EQ(rc, 0) << v.log;
  auto events = nlohmann::json::parse(testing::read_text(netlog), nullptr, false);
  EXPECT_FALSE(events.is_discarded()) << "the NetLog is not JSON";
  if (events.is_discarded()) return v;
  for (const auto& e : events["events"]) {
    if (!e.contains("params") || !e["params"].contains("initiator")) continue;
    // Chromium's own services have no origin; a file:// page's requests come from "null".
    if (e["params"]["initiator"] == "not an origin") continue;
    std::string url = e["params"].value("url", "");
    if (url.rfind("file:", 0) != 0 && url.rfind("data:", 0) != 0) v.page_requests.push_back(url);
  }
  return v;
}

TEST(Browser, TheReportOpensOfflineWithNoErrorsAndRendersItsFigures) {
  TempDir dir;
  if (!ensure_chromium(dir / "apt.log")) {
    GTEST_SKIP() << "chromium is not installed and could not be installed (see apt-get)";
  }
  ReportOptions options;
  options.inputs = {testing::kFixtures / "cloudflare-2020" / "etcd-3.4" / "seed-7"};
  options.output = dir / "report.html";
  make_report(options);

  // The DOM after loading: the page parsed and every figure is in it.
  int rc = run_shell(
      chromium(dir / "dom-profile", "--dump-dom file://" + fs::absolute(options.output).string()) +
      " >" + (dir / "dom.html").string() + " 2>/dev/null");
  ASSERT_EQ(rc, 0);
  std::string dom = testing::read_text(dir / "dom.html");
  EXPECT_NE(dom.find("<h1>cloudflare-2020</h1>"), std::string::npos);
  for (const char* id : {"goodput", "nodes", "latency"}) {
    EXPECT_NE(dom.find(std::string("<figure id=\"") + id + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(testing::count(dom, "<svg"), 3u);

  Visit report = visit(dir, options.output, "report");
  EXPECT_EQ(report.log.find("CONSOLE"), std::string::npos) << report.log;
  EXPECT_TRUE(report.page_requests.empty()) << "first: " << report.page_requests.front();
  auto png = testing::inspect_png(report.screenshot);
  ASSERT_TRUE(png.loaded);
  EXPECT_EQ(png.width, 1100);
  EXPECT_GT(png.distinct_colours, 16u) << "a blank page has one or two colours";
  // The leader's blue (Okabe-Ito #0072B2) is there only if the inline SVG was drawn.
  EXPECT_TRUE(testing::has_colour_near(report.screenshot, 0x00, 0x72, 0xB2));

  // The control: a page that reaches out and logs an error is caught by the same checks.
  testing::write_text(dir / "control.html",
                      "<!DOCTYPE html><html><body><img src=\"http://example.invalid/x.png\">"
                      "<script>console.error('control')</script></body></html>");
  Visit control = visit(dir, dir / "control.html", "control");
  EXPECT_NE(control.log.find("CONSOLE"), std::string::npos);
  ASSERT_FALSE(control.page_requests.empty());
  EXPECT_EQ(control.page_requests.front(), "http://example.invalid/x.png");
  EXPECT_FALSE(testing::has_colour_near(control.screenshot, 0x00, 0x72, 0xB2));
}

}  // namespace
}  // namespace faultline::report
