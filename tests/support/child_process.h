// One of our binaries run as a real process, its stderr+stdout in a log file, so a test can
// wait for log lines, kill -9 it mid-work, or read how it exited.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace testing_support {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();  // SIGKILL if still running

  // True once `text` appears in the log (polls until timeout).
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout) const;
  int CountInLog(const std::string& text) const;
  std::string Log() const;

  void Kill();       // SIGKILL, as a crash would
  void Terminate();  // SIGTERM, as Kubernetes would
  // Exit code once the process ended within `timeout`; nullopt while it runs.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  bool Running();
  pid_t pid() const { return pid_; }  // for SIGSTOP/SIGCONT

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> exit_code_;
};

}  // namespace testing_support
