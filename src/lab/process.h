// A child process (a faultline or etcd node) started inside a lab namespace. The lab keeps
// every node as its own child, so it can SIGKILL (crash), SIGSTOP/SIGCONT (pause) and reap
// it; each child dies with the lab (PR_SET_PDEATHSIG), so a crashed lab leaves no servers.
#pragma once

#include <sys/types.h>

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
  bool running();                                   // false once it has exited (reaps it)
  void kill();                                      // SIGKILL and reap: a crash
  void pause();                                     // SIGSTOP
  void resume();                                    // SIGCONT
  int exit_status() const { return exit_status_; }  // valid once !running()

 private:
  pid_t pid_ = -1;
  int exit_status_ = 0;
  bool paused_ = false;
};

}  // namespace faultline::lab
