#include "k8s/exec_credential.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/bounded_parse.h"
#include "common/untrusted_text.h"

extern char** environ;

namespace k8s {
namespace {

constexpr int kMaxExecCredentialDepth = 16;
constexpr size_t kStderrTailBytes = 512;

std::string StringField(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

bool Interactive(const ExecConfig& exec) {
  return exec.interactive_mode != "Never" && isatty(STDIN_FILENO) == 1;
}

// The last `limit` bytes of `text`, on one line.
std::string Tail(const std::string& text, size_t limit) {
  std::string tail = text.size() > limit ? text.substr(text.size() - limit) : text;
  for (char& c : tail) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!tail.empty() && tail.back() == ' ') tail.pop_back();
  return common::Clip(tail, limit);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<ExecCredential> ParseExecCredential(std::string_view output,
                                                   const std::string& api_version,
                                                   const std::string& what) {
  auto parsed = common::ParseJsonBounded(output, kMaxExecCredentialBytes, kMaxExecCredentialDepth,
                                         "its output");
  if (!parsed.ok()) {
    return absl::UnauthenticatedError(
        fmt::format("{}: {}", what, common::View(parsed.status().message())));
  }
  const nlohmann::json& json = *parsed;
  if (!json.is_object() || StringField(json, "kind") != "ExecCredential") {
    return absl::UnauthenticatedError(
        fmt::format("{}: its output is not an ExecCredential object", what));
  }
  const std::string version = StringField(json, "apiVersion");
  if (version != api_version) {
    return absl::UnauthenticatedError(
        fmt::format("{}: it printed apiVersion \"{}\", the kubeconfig asks for \"{}\"", what,
                    common::Clip(version, 80), api_version));
  }
  auto status = json.find("status");
  if (status == json.end() || !status->is_object()) {
    return absl::UnauthenticatedError(fmt::format("{}: its ExecCredential has no status", what));
  }
  ExecCredential credential;
  credential.token = common::Secret(StringField(*status, "token"));
  credential.client_cert_pem = StringField(*status, "clientCertificateData");
  credential.client_key_pem = common::Secret(StringField(*status, "clientKeyData"));
  if (credential.client_cert_pem.empty() != credential.client_key_pem.empty()) {
    return absl::UnauthenticatedError(fmt::format(
        "{}: its ExecCredential gives clientCertificateData and clientKeyData only together",
        what));
  }
  if (credential.token.empty() && credential.client_cert_pem.empty()) {
    return absl::UnauthenticatedError(fmt::format(
        "{}: its ExecCredential has neither status.token nor a client certificate", what));
  }
  const std::string expiry = StringField(*status, "expirationTimestamp");
  if (!expiry.empty()) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, expiry, &time, &error)) {
      return absl::UnauthenticatedError(
          fmt::format("{}: status.expirationTimestamp \"{}\" is not an RFC 3339 time", what,
                      common::Clip(expiry, 80)));
    }
    credential.expiry = time;
  }
  return credential;
}

absl::StatusOr<ExecCredential> RunExecPlugin(const ExecConfig& exec, const std::string& what,
                                             const std::string& server, const std::string& ca_pem,
                                             std::chrono::milliseconds timeout) {
  const bool interactive = Interactive(exec);
  if (exec.interactive_mode == "Always" && !interactive) {
    return absl::UnauthenticatedError(fmt::format(
        "{}: its interactiveMode is Always but stdin is not a terminal; run it from a terminal "
        "or get a token another way",
        what));
  }
  nlohmann::json info = {{"apiVersion", exec.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", interactive}}}};
  if (exec.provide_cluster_info) {
    info["spec"]["cluster"] = {{"server", server}};
    if (!ca_pem.empty())
      info["spec"]["cluster"]["certificate-authority-data"] = common::EncodeBase64(ca_pem);
  }
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view line(*entry);
    bool overridden = line.starts_with("KUBERNETES_EXEC_INFO=");
    for (const auto& [name, value] : exec.env) {
      overridden = overridden || line.starts_with(name + "=");
    }
    if (!overridden) env_text.emplace_back(line);
  }
  for (const auto& [name, value] : exec.env) env_text.push_back(name + "=" + value);
  env_text.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  std::vector<char*> envp;
  for (std::string& line : env_text) envp.push_back(line.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_text = {exec.command};
  argv_text.insert(argv_text.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError(what + ": pipe failed");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return absl::InternalError(what + ": pipe failed");
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!interactive) posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  pid_t pid = 0;
  // posix_spawnp searches PATH as the plugin's command is looked up by kubectl; no shell.
  const int spawn_error =
      posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  out_write.Reset();
  err_write.Reset();
  if (spawn_error != 0) {
    std::string hint = exec.install_hint.empty()
                           ? std::string("install it or fix the kubeconfig's exec.command")
                           : Tail(exec.install_hint, 300);
    return absl::UnauthenticatedError(fmt::format("{}: cannot run \"{}\" ({}); {}", what,
                                                  common::Clip(exec.command, 200),
                                                  std::strerror(spawn_error), hint));
  }
  std::string out, err;
  bool over_limit = false, timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[8192];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      if (i == 0) {
        if (out.size() + n > kMaxExecCredentialBytes) {
          over_limit = true;
          fds[0].fd = fds[1].fd = -1;
          break;
        }
        out.append(buffer, n);
      } else {
        err.append(buffer, n);
        if (err.size() > 4 * kStderrTailBytes) err.erase(0, err.size() - kStderrTailBytes);
      }
    }
  }
  if (timed_out || over_limit) kill(pid, SIGKILL);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::UnauthenticatedError(
        fmt::format("{}: it did not finish within {} s", what, timeout.count() / 1000));
  }
  if (over_limit) {
    return absl::UnauthenticatedError(
        fmt::format("{}: it printed more than {} bytes", what, kMaxExecCredentialBytes));
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    const std::string how = WIFEXITED(wait_status)
                                ? fmt::format("exited with status {}", WEXITSTATUS(wait_status))
                                : fmt::format("was killed by signal {}", WTERMSIG(wait_status));
    const std::string tail = Tail(err, kStderrTailBytes);
    return absl::UnauthenticatedError(
        fmt::format("{}: it {}{}{}", what, how, tail.empty() ? "" : ": ", tail));
  }
  return ParseExecCredential(out, exec.api_version, what);
}

}  // namespace k8s
