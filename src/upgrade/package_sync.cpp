#include "upgrade/package_sync.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>
#include <vector>

#include "common/absl_fmt.h"

extern char** environ;

namespace upgrade {
namespace {

namespace fs = std::filesystem;

bool IsExecutableFile(const std::string& path) {
  std::error_code error;
  return !path.empty() && fs::is_regular_file(path, error) && access(path.c_str(), X_OK) == 0;
}

std::string SelfDirectory() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string() : self.parent_path().string();
}

volatile sig_atomic_t running_child = 0;

// While a tool runs: Ctrl-C reaches it from the terminal (same process group) and it stops
// cleanly on its own, so we wait for it rather than die first; a SIGTERM sent to us alone is
// passed on. Handlers, not SIG_IGN, so the tool starts with the default dispositions.
class ForwardSignals {
 public:
  ForwardSignals() {
    struct sigaction action = {};
    action.sa_handler = [](int signal) {
      if (signal == SIGTERM && running_child > 0) kill(running_child, SIGTERM);
    };
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~ForwardSignals() {
    running_child = 0;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  ForwardSignals(const ForwardSignals&) = delete;
  ForwardSignals& operator=(const ForwardSignals&) = delete;

 private:
  struct sigaction old_int_ = {}, old_term_ = {};
};

// Runs `argv` (argv[0] a path) with our environment plus `env`, stdout/stderr inherited, and
// `stdin_secret` (if any, with a newline) as its standard input, else /dev/null. Everything
// the child needs is built before fork: after it only async-signal-safe calls.
absl::StatusOr<int> RunTool(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env,
                            const common::Secret& stdin_secret) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string name(text.substr(0, text.find('=')));
    if (!env.contains(name)) environment.emplace_back(text);
  }
  for (const auto& [name, value] : env) environment.push_back(name + "=" + value);
  std::vector<char*> args, envp;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  for (const std::string& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  int input[2] = {-1, -1};
  if (!stdin_secret.empty() && pipe2(input, O_CLOEXEC) != 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot run {}: pipe: {}", argv[0], std::strerror(errno)));
  }
  const int null_input = stdin_secret.empty() ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
  ForwardSignals forward;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    for (int fd : {input[0], input[1], null_input}) {
      if (fd >= 0) close(fd);
    }
    return absl::FailedPreconditionError(
        fmt::format("cannot run {}: fork: {}", argv[0], std::strerror(error)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    const int in = stdin_secret.empty() ? null_input : input[0];
    if (in >= 0) dup2(in, STDIN_FILENO);
    execve(args[0], args.data(), envp.data());
    static constexpr char kCannot[] = "upgrade.sh: cannot start a tool: exec failed\n";
    [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, kCannot, sizeof kCannot - 1);
    _exit(127);
  }
  running_child = pid;
  if (null_input >= 0) close(null_input);
  if (!stdin_secret.empty()) {
    close(input[0]);
    // A password fits the pipe's buffer; a tool that exits without reading gives EPIPE.
    signal(SIGPIPE, SIG_IGN);
    const std::string line = stdin_secret.Reveal() + "\n";
    size_t written = 0;
    while (written < line.size()) {
      const ssize_t n = write(input[1], line.data() + written, line.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    close(input[1]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return absl::FailedPreconditionError(
          fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
    }
  }
  // Killed by a signal: interrupted, and the next run resumes (1).
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

absl::StatusOr<std::string> LocateTool(const std::string& name, const std::string& override,
                                       const std::string& override_env,
                                       const std::string& package_dir) {
  if (!override.empty()) {
    if (IsExecutableFile(override)) return override;
    return absl::FailedPreconditionError(
        fmt::format("${} is {}, which is not an executable file", override_env, override));
  }
  std::vector<std::string> candidates;
  if (!package_dir.empty()) {
    candidates.push_back(package_dir + "/bin/" + name);
    for (const char* build : {"build", "build-images", "build-upgrade"}) {
      candidates.push_back(fmt::format("{}/{}/cmd/{}/{}", package_dir, build, name, name));
    }
  }
  if (std::string self = SelfDirectory(); !self.empty()) candidates.push_back(self + "/" + name);
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) candidates.push_back(fmt::format("{}/{}", dir, name));
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  for (const std::string& candidate : candidates) {
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::FailedPreconditionError(fmt::format(
      "{} binary not found beside upgrade.sh (bin/{}); set {}", name, name, override_env));
}

bool HasPluginPackages(const std::string& plugins) {
  std::error_code error;
  for (fs::directory_iterator it(plugins, error), end; !error && it != end; it.increment(error)) {
    const std::string file = it->path().filename().string();
    if (!file.starts_with(".") && file.ends_with(".tgz")) return true;  // as the glob *.tgz
  }
  return false;
}

std::string FindBundle(const std::string& package_dir) {
  std::error_code error;
  const fs::path dir(package_dir);
  if (fs::is_directory(dir / "images", error)) return (dir / "images").string();
  for (const char* archive : {"images.tar", "images.tar.gz", "images.tar.zst"}) {
    if (fs::is_regular_file(dir / archive, error)) return (dir / archive).string();
  }
  return (dir / "images").string();
}

absl::StatusOr<int> SyncPackageImages(const ImageSyncRequest& request, std::ostream& progress) {
  std::error_code error;
  if (!fs::is_directory(request.bundle, error) && !fs::is_regular_file(request.bundle, error)) {
    return absl::NotFoundError(fmt::format(
        "image bundle {} not found — run from the core package (images/ or "
        "images.tar[.gz|.zst] beside upgrade.sh) or pass --bundle <dir|images.tar[.gz|.zst]>",
        request.bundle));
  }
  auto image_sync =
      LocateTool("image-sync", request.image_sync_override, "IMAGE_SYNC_BIN", request.package_dir);
  if (!image_sync.ok()) return image_sync.status();

  std::vector<std::string> limits;
  if (request.min_speed)
    limits.insert(limits.end(), {"--min-speed", std::to_string(*request.min_speed)});
  if (request.stall_seconds) {
    limits.insert(limits.end(), {"--stall-seconds", std::to_string(*request.stall_seconds)});
  }
  if (request.request_timeout) {
    limits.insert(limits.end(), {"--request-timeout", std::to_string(*request.request_timeout)});
  }

  std::vector<std::string> argv = {*image_sync, "--bundle", request.bundle, "--registry",
                                   request.registry};
  for (const auto& more : request.more_registries) {
    argv.insert(argv.end(), {"--registry", more.registry});
  }
  if (request.plain) argv.push_back("--plain");
  if (request.insecure) argv.push_back("--insecure");
  if (!request.ca_file.empty()) argv.insert(argv.end(), {"--ca-file", request.ca_file});
  if (request.parallel) argv.insert(argv.end(), {"--parallel", std::to_string(*request.parallel)});
  if (request.chunk_mib) {
    argv.insert(argv.end(), {"--chunk-size", std::to_string(*request.chunk_mib)});
  }
  if (!request.state_dir.empty()) argv.insert(argv.end(), {"--state-dir", request.state_dir});
  if (request.verbose) argv.push_back("-v");
  argv.insert(argv.end(), {"--log-format", request.log_format});
  argv.insert(argv.end(), limits.begin(), limits.end());
  const bool with_password = !request.username.empty() && !request.per_host_logins;
  if (with_password) argv.insert(argv.end(), {"--username", request.username, "--password-stdin"});
  if (request.per_host_logins && !request.authfile.empty()) {
    argv.insert(argv.end(), {"--authfile", request.authfile});
  }
  auto synced = RunTool(argv, {}, with_password ? request.password : common::Secret());
  if (!synced.ok() || *synced != 0) return synced;

  if (!HasPluginPackages(request.plugins)) return 0;
  auto violet = LocateTool("violet", request.violet_override, "VIOLET_BIN", request.package_dir);
  if (!violet.ok()) {
    return absl::FailedPreconditionError(
        fmt::format("{} (for {}/*.tgz)", common::View(violet.status().message()), request.plugins));
  }
  std::vector<ImageSyncRequest::MoreRegistry> targets = {
      {request.registry, request.username, request.password}};
  targets.insert(targets.end(), request.more_registries.begin(), request.more_registries.end());
  for (const auto& target : targets) {
    argv = {*violet, "push", request.plugins, "--skip-crs", "--dest-repo", target.registry};
    if (!request.keyring.empty()) argv.insert(argv.end(), {"--keyring", request.keyring});
    if (request.allow_unsigned) argv.push_back("--allow-unsigned");
    if (request.verbose) argv.push_back("-v");
    argv.insert(argv.end(), {"--log-format", request.log_format});
    argv.insert(argv.end(), limits.begin(), limits.end());
    if (request.plain) argv.push_back("--plain");
    if (request.insecure) argv.push_back("--insecure");
    if (!request.ca_file.empty()) {
      argv.insert(argv.end(), {"--registry-ca-file", request.ca_file});
    }
    std::map<std::string, std::string> env;
    if (!target.username.empty()) {
      argv.insert(argv.end(), {"--username", target.username});
      env["VIOLET_REGISTRY_PASSWORD"] = target.password.Reveal();
    } else {
      argv.push_back("--no-auth");
    }
    progress << "upgrade.sh: pushing the images of the plugin packages in " << request.plugins
             << (targets.size() > 1 ? " into " + target.registry : std::string()) << "\n"
             << std::flush;
    auto pushed = RunTool(argv, env, common::Secret());
    if (!pushed.ok() || *pushed != 0) return pushed;
  }
  return 0;
}

}  // namespace upgrade
