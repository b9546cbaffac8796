#include "registry/credential_helper.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/absl_fmt.h"
#include "common/bounded_parse.h"

extern char** environ;

namespace registry {
namespace {

constexpr std::string_view kNotFound = "credentials not found in native keychain";

bool IsHelperName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void CloseAll(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
}

struct HelperRun {
  std::string output;  // stdout, at most kMaxHelperOutputBytes + 1
  bool timed_out = false;
  int status = 0;  // waitpid's
};

// Runs `program get` with `input` on stdin (a socket, so an early exit is no SIGPIPE) and
// collects stdout; stderr goes to /dev/null (it is never shown). Kills it at the deadline.
absl::StatusOr<HelperRun> Run(const std::string& program, const std::string& input,
                              std::chrono::milliseconds timeout) {
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    const int error = errno;
    CloseAll({in[0], in[1], out[0], out[1]});
    return absl::InternalError(std::strerror(error));
  }
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::vector<char*> argv = {const_cast<char*>(program.c_str()), const_cast<char*>("get"), nullptr};
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    CloseAll({in[0], in[1], out[0], out[1], null_fd});
    return absl::InternalError(std::strerror(error));
  }
  if (pid == 0) {
    dup2(in[1], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    if (null_fd >= 0) dup2(null_fd, STDERR_FILENO);
    // The caller may ignore SIGPIPE (it survives exec): the helper gets the default.
    signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  CloseAll({in[1], out[1], null_fd});
  const std::string line = input + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = send(in[0], line.data() + written, line.size() - written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // it exited or closed stdin: its exit status tells
    written += static_cast<size_t>(n);
  }
  shutdown(in[0], SHUT_WR);

  HelperRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      break;
    }
    pollfd fd = {out[0], POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline is checked above
    const ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output
    run.output.append(buffer, static_cast<size_t>(n));
    if (run.output.size() > kMaxHelperOutputBytes) break;
  }
  CloseAll({in[0], out[0]});
  if (run.timed_out || run.output.size() > kMaxHelperOutputBytes) kill(pid, SIGKILL);
  // Output ended: the helper is exiting. Wait for it (bounded: kill it at the deadline).
  for (;;) {
    const pid_t done = waitpid(pid, &run.status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline && !run.timed_out) {
      run.timed_out = true;
      kill(pid, SIGKILL);
    }
    usleep(2000);
  }
  return run;
}

}  // namespace

std::string FindCredentialHelper(const std::string& name, const std::string& search_path) {
  if (!IsHelperName(name)) return "";
  std::string_view rest(search_path);
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty() || dir.front() != '/') continue;  // never the current directory
    const std::string candidate = fmt::format("{}/docker-credential-{}", dir, name);
    struct stat info = {};
    if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

// One line naming the helper (never its output) and what the operator can do.
static absl::Status HelperFailure(const std::string& name, const std::string& host,
                                  std::string_view what) {
  return absl::UnauthenticatedError(fmt::format(
      "credential helper {} for {}: {} — fix the helper, log in again, or pass --username",
      IsHelperName(name) ? "docker-credential-" + name : "docker-credential-<invalid name>", host,
      what));
}

absl::StatusOr<std::optional<Credentials>> GetFromCredentialHelper(const std::string& name,
                                                                   const std::string& server_url,
                                                                   const std::string& host,
                                                                   const HelperOptions& options) {
  const auto fail = [&](std::string_view what) { return HelperFailure(name, host, what); };
  if (!IsHelperName(name)) return fail("the helper's name is not a plain file name");
  const std::string program = FindCredentialHelper(name, options.path);
  if (program.empty())
    return fail("not found on PATH (install it or remove it from the auth file)");
  auto run = Run(program, server_url, options.timeout);
  if (!run.ok())
    return fail(fmt::format("cannot be run ({})", common::View(run.status().message())));
  if (run->timed_out) {
    return fail(fmt::format("gave no answer within {} s", options.timeout.count() / 1000.0));
  }
  return ParseHelperAnswer(run->output, run->status, name, host);
}

absl::StatusOr<std::optional<Credentials>> ParseHelperAnswer(const std::string& output,
                                                             int wait_status,
                                                             const std::string& name,
                                                             const std::string& host) {
  const auto fail = [&](std::string_view what) { return HelperFailure(name, host, what); };
  if (output.size() > kMaxHelperOutputBytes) {
    return fail(fmt::format("answered more than {} bytes", kMaxHelperOutputBytes));
  }
  // Helpers say "not found" on stdout and exit 1.
  if (output.find(kNotFound) != std::string::npos) return std::optional<Credentials>();
  if (WIFSIGNALED(wait_status)) {
    return fail(fmt::format("was killed by signal {}", WTERMSIG(wait_status)));
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return fail(fmt::format("exited with status {}", WEXITSTATUS(wait_status)));
  }
  auto answer = common::ParseJsonBounded(output, kMaxHelperOutputBytes,
                                         common::kDefaultMaxJsonDepth, "its answer");
  if (!answer.ok() || !answer->is_object() || !answer->contains("Secret") ||
      !(*answer)["Secret"].is_string() ||
      (answer->contains("Username") && !(*answer)["Username"].is_string())) {
    return fail("answered no JSON object with \"Username\" and \"Secret\"");
  }
  std::string username = answer->value("Username", std::string());
  std::string secret = (*answer)["Secret"].get<std::string>();
  if (secret.empty()) return std::optional<Credentials>();
  if (username.empty()) return fail("answered a \"Secret\" without a \"Username\"");
  return std::optional<Credentials>(
      Credentials{std::move(username), common::Secret(std::move(secret))});
}

}  // namespace registry
