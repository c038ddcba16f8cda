// Child processes in lab namespaces (see process.h).
#include "lab/process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "lab/network.h"

namespace faultline::lab {

NodeProcess NodeProcess::start(const std::string& netns, const std::vector<std::string>& argv,
                               const std::string& log_path) {
  if (argv.empty()) throw LabError("no command to start");
  // Everything the child needs is prepared before fork: after it only async-signal-safe
  // calls are allowed (the lab may have other threads).
  int ns_fd = -1;
  if (!netns.empty()) {
    ns_fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) throw LabError("cannot open namespace " + netns + ": " + std::strerror(errno));
  }
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    if (ns_fd >= 0) ::close(ns_fd);
    throw LabError("cannot open log " + log_path + ": " + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A pipe that closes on exec tells the parent whether exec succeeded.
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    ::close(log_fd);
    if (ns_fd >= 0) ::close(ns_fd);
    throw LabError(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(status_pipe[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the lab died before prctl took effect
    int err = 0;
    if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0) err = errno;
    if (err == 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::setpgid(0, 0);  // Ctrl-C on the lab's terminal goes to the lab, which cleans up
      ::execvp(args[0], args.data());
      err = errno;
    }
    [[maybe_unused]] ssize_t w = ::write(status_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(status_pipe[1]);
  ::close(log_fd);
  if (ns_fd >= 0) ::close(ns_fd);
  if (pid < 0) {
    ::close(status_pipe[0]);
    throw LabError(std::string("fork: ") + std::strerror(errno));
  }
  int child_err = 0;
  ssize_t n;
  do {
    n = ::read(status_pipe[0], &child_err, sizeof child_err);
  } while (n < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  NodeProcess p;
  p.pid_ = pid;
  if (n == static_cast<ssize_t>(sizeof child_err)) {
    p.kill();
    throw LabError("cannot start " + argv[0] + " in " + (netns.empty() ? "this namespace" : netns) +
                   ": " + std::strerror(child_err));
  }
  return p;
}

NodeProcess::NodeProcess(NodeProcess&& other) noexcept
    : pid_(other.pid_), exit_status_(other.exit_status_), paused_(other.paused_) {
  other.pid_ = -1;
}

NodeProcess& NodeProcess::operator=(NodeProcess&& other) noexcept {
  if (this != &other) {
    kill();
    pid_ = other.pid_;
    exit_status_ = other.exit_status_;
    paused_ = other.paused_;
    other.pid_ = -1;
  }
  return *this;
}

NodeProcess::~NodeProcess() { kill(); }

bool NodeProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    pid_ = -1;
    return false;
  }
  return true;
}

void NodeProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_status_ = status;
  pid_ = -1;
  paused_ = false;
}

void NodeProcess::pause() {
  if (pid_ > 0 && !paused_ && ::kill(pid_, SIGSTOP) == 0) paused_ = true;
}

void NodeProcess::resume() {
  if (pid_ > 0 && paused_ && ::kill(pid_, SIGCONT) == 0) paused_ = false;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    std::string out = "killed by signal " + std::to_string(sig);
    if (name != nullptr) out += std::string(", ") + name;
    if (WCOREDUMP(status)) out += ", core dumped";
    return out;
  }
  return "wait status " + std::to_string(status);
}

std::vector<std::string> log_tail(const std::string& path, std::size_t count) {
  constexpr std::streamoff kReadAtMost = 64 * 1024;
  constexpr std::size_t kLineAtMost = 300;
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return {};
  const std::streamoff from = std::max<std::streamoff>(0, size - kReadAtMost);
  in.seekg(from);
  std::string text(static_cast<std::size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  std::vector<std::string> lines;  // newest first
  std::size_t end = text.size();
  while (end > 0 && lines.size() < count) {
    const std::size_t nl = text.rfind('\n', end - 1);
    const std::size_t begin = nl == std::string::npos ? 0 : nl + 1;
    // The first line of a window that starts mid-file is a fragment: leave it out.
    if (begin == 0 && from > 0) break;
    std::string line = text.substr(begin, end - begin);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    if (!line.empty()) {
      if (line.size() > kLineAtMost) line = line.substr(0, kLineAtMost) + "...";
      lines.push_back(std::move(line));
    }
    if (nl == std::string::npos) break;
    end = nl;
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

}  // namespace faultline::lab
