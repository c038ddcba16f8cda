#include "cli/lab_child.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "lab/runner.h"

namespace faultline::cli {
namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::optional<std::filesystem::path> make_temp_folder(const std::string& prefix) {
  std::string t = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(t.data())) return std::nullopt;
  return std::filesystem::path(t);
}

std::string finding_label(const std::string& violation) {
  return violation.starts_with("the nodes' stores differ") ? "STORES DIFFER" : "NODE EXIT";
}

LabChild run_lab_child(const std::vector<std::string>& args) {
  LabChild child;
  child.command = shell_quote(lab::self_binary()) + " lab";
  for (const auto& a : args) child.command += " " + shell_quote(a);
  child.command += " --json";
  std::fflush(nullptr);  // the child shares stdout and stderr
  FILE* p = ::popen(child.command.c_str(), "r");
  if (!p) return child;
  std::string out;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (64u << 20))
    out.append(buf, n);
  const int status = ::pclose(p);
  if (status >= 0 && WIFEXITED(status)) child.exit_code = WEXITSTATUS(status);
  auto last = out.find_last_of('\n', out.size() >= 2 ? out.size() - 2 : 0);
  const std::string line = last == std::string::npos ? out : out.substr(last + 1);
  child.summary = nlohmann::json::parse(line, nullptr, false);
  if (child.summary.is_discarded() || !child.summary.is_object()) child.summary = nullptr;
  return child;
}

}  // namespace faultline::cli
