// A child process (a faultline or etcd node) started inside a lab namespace. The lab keeps
// every node as its own child, so it can SIGKILL (crash), SIGSTOP/SIGCONT (pause) and reap
// it; each child dies with the lab (PR_SET_PDEATHSIG), so a crashed lab leaves no servers.
// Also how a node ended and what its log said last, for a node that exits on its own.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace faultline::lab {

class NodeProcess {
 public:
  NodeProcess() = default;
  // Starts `argv` in network namespace `netns` (empty: this process's own), with stdout and
  // stderr appended to `log_path`. Throws LabError if it cannot start.
  static NodeProcess start(const std::string& netns, const std::vector<std::string>& argv,
                           const std::string& log_path);

  NodeProcess(NodeProcess&& other) noexcept;
  NodeProcess& operator=(NodeProcess&& other) noexcept;
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;
  ~NodeProcess();  // kills and reaps a process still running

  pid_t pid() const { return pid_; }
  // False once it has exited (reaps it without waiting and keeps its exit status). A
  // process the lab killed is not running either (pid() is -1).
  bool running();
  void kill();    // SIGKILL and reap: a crash
  void pause();   // SIGSTOP
  void resume();  // SIGCONT
  bool paused() const { return paused_; }
  int exit_status() const { return exit_status_; }  // valid once !running()

 private:
  pid_t pid_ = -1;
  int exit_status_ = 0;
  bool paused_ = false;
};

// How a process ended, from its waitpid status: "exit code 1", "killed by signal 6, Aborted".
std::string describe_exit(int status);

// The last `count` non-empty lines of the log at `path` (oldest first), each cut to a few
// hundred characters; only the file's last 64 KiB are read, so a huge log costs nothing.
// Empty when the file cannot be read.
std::vector<std::string> log_tail(const std::string& path, std::size_t count);

}  // namespace faultline::lab
