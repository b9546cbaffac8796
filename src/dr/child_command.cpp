#include "dr/child_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace dr {

std::string ShellQuote(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    if (arg.find_first_of(" '\"$\\") == std::string::npos && !arg.empty()) {
      out += arg;
    } else {
      out += "'";
      for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += "'";
    }
  }
  return out;
}

absl::StatusOr<ChildResult> RunChild(const std::vector<std::string>& argv,
                                     const std::map<std::string, std::string>& env,
                                     const common::Secret& stdin_secret, std::ostream& out) {
  int output[2];
  int input[2];
  if (pipe2(output, O_CLOEXEC) != 0 || pipe2(input, O_CLOEXEC) != 0) {
    return absl::InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(input[0], 0);
    dup2(output[1], 1);
    dup2(output[1], 2);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fmt::print(stderr, "cannot run {}: {}\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(output[1]);
  close(input[0]);
  if (!stdin_secret.empty()) {
    const std::string line = stdin_secret.Reveal() + "\n";
    size_t written = 0;
    while (written < line.size()) {
      ssize_t n = write(input[1], line.data() + written, line.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
  }
  close(input[1]);
  ChildResult result;
  std::deque<std::string> tail;
  std::string pending;
  char buffer[4096];
  auto flush_line = [&](const std::string& line) {
    out << "      | " << line << "\n" << std::flush;
    tail.push_back(line);
    if (tail.size() > 8) tail.pop_front();
  };
  while (true) {
    ssize_t n = read(output[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      flush_line(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
  }
  if (!pending.empty()) flush_line(pending);
  close(output[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  for (const std::string& line : tail) result.tail += (result.tail.empty() ? "" : " / ") + line;
  return result;
}

}  // namespace dr
