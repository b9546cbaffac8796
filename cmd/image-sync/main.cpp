// image-sync: pushes every image of an OCI-layout bundle into a registry (the engine
// behind `upgrade.sh --only-sync-image`). Flags (or a YAML --config) -> client -> PushBundle.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bundle/oci_layout.h"
#include "cli/app.h"
#include "cli/fail.h"
#include "cli/registry_flags.h"
#include "cli/yaml_config.h"
#include "common/absl_fmt.h"
#include "common/exit_codes.h"
#include "registry/credential_chain.h"
#include "registry/pusher.h"
#include "registry/registry_client.h"

namespace {

using cli::Fail;

std::atomic<bool> stop_requested{false};

// First SIGINT/SIGTERM: finish the chunks in flight and exit resumable; a second one kills.
void InstallStopHandler() {
  struct sigaction action = {};
  action.sa_handler = [](int) { stop_requested = true; };
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int ExitCodeFor(const absl::Status& status) {
  if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
    return exit_code::kAuthRefused;
  }
  if (common::View(status.message()).starts_with("bundle")) return exit_code::kInvalidInput;
  return exit_code::kFailed;
}

}  // namespace

int main(int argc, char** argv) {
  cli::SetToolName("image-sync");
  CLI::App app{"Pushes the images of an OCI image layout bundle into a registry."};
  cli::UseYamlConfig(app, "YAML file with the same settings (flag names as keys)");
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  std::string bundle_dir, progress = "auto";
  cli::RegistryFlags flags;
  std::string& registry = flags.registry;
  const std::string& username = flags.username;
  const std::string& password_file = flags.password_file;
  const std::string& ca_file = flags.ca_file;
  const bool& password_stdin = flags.password_stdin;
  bool& plain = flags.plain;
  const bool& insecure = flags.insecure;
  std::string state_dir = registry::DefaultStateDir();
  int parallel = 8, retries = 5, progress_interval = 10;
  int64_t chunk_mib = 64;  // large layers resumable by default; one round trip per 64 MiB
  app.add_option("--bundle", bundle_dir, "OCI image layout directory (index.json, blobs/)")
      ->required();
  cli::RegistryFlagNames names;
  names.password_file = true;
  cli::AddRegistryFlags(app, flags, names);
  app.get_option("--registry")->required();
  app.get_option("--ca-file")->check(CLI::ExistingFile);
  app.add_option("--parallel", parallel, "requests in flight (images and blobs share them)")
      ->check(CLI::Range(1, 64));
  app.add_option("--chunk-size", chunk_mib,
                 "MiB; blobs larger than this are uploaded in chunks of this size and resumed "
                 "from the registry's offset after a failure (0: one request per blob)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  auto* state_dir_option =
      app.add_option("--state-dir", state_dir,
                     "where chunked uploads are journaled so a restarted run resumes them "
                     "(default $XDG_STATE_HOME/image-sync or ~/.local/state/image-sync; \"\" "
                     "turns it off)");
  app.add_option("--retries", retries, "attempts per request on network errors, 5xx and 429")
      ->check(CLI::Range(1, 20));
  app.add_option("--progress", progress, "auto (a line on a terminal), tty, plain or none")
      ->check(CLI::IsMember({"auto", "tty", "plain", "none"}));
  app.add_option("--progress-interval", progress_interval, "seconds between plain progress lines")
      ->check(CLI::Range(1, 3600));
  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);

  registry::RegistryOptions options;
  if (registry.starts_with("http://")) {
    plain = true;
    registry = registry.substr(7);
  } else if (registry.starts_with("https://")) {
    registry = registry.substr(8);
  }
  while (!registry.empty() && registry.back() == '/') registry.pop_back();
  if (registry.empty() || registry.find('/') != std::string::npos) {
    return Fail(exit_code::kUsage,
                "--registry must be host[:port] (e.g. registry.example.com:5000)");
  }
  if (plain && (insecure || !ca_file.empty())) {
    return Fail(exit_code::kUsage,
                "--plain (HTTP) cannot be combined with --insecure or --ca-file");
  }
  options.host = registry;
  options.transport.plain = plain;
  options.transport.insecure = insecure;
  options.transport.ca_file = ca_file;
  options.transport.limits = flags.limits;
  options.retry.max_attempts = retries;
  options.chunk_bytes = chunk_mib << 20;
  if (chunk_mib > 0 && !state_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(state_dir, error);
    if (error || access(state_dir.c_str(), W_OK) != 0) {
      const std::string problem = fmt::format("--state-dir {} is not a writable directory{}",
                                              state_dir, error ? " (" + error.message() + ")" : "");
      // Asked for explicitly: the operator's mistake. The default: push without the journal.
      if (state_dir_option->count() > 0) return Fail(exit_code::kUsage, problem);
      spdlog::warn("{}; an interrupted upload will start over after a restart", problem);
      state_dir.clear();
    }
    options.state_dir = state_dir;
  }
  options.stop = &stop_requested;

  if (!username.empty()) {
    std::string password;
    if (password_stdin) {
      std::getline(std::cin, password);
    } else if (!password_file.empty()) {
      std::ifstream in(password_file);
      if (!in)
        return Fail(exit_code::kUsage, "--password-file " + password_file + " cannot be read");
      std::getline(in, password);
    } else if (const char* env = std::getenv("IMAGE_SYNC_PASSWORD")) {
      password = env;
    } else {
      return Fail(exit_code::kUsage,
                  "--username needs a password: --password-stdin, --password-file or "
                  "$IMAGE_SYNC_PASSWORD");
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty())
      return Fail(exit_code::kUsage, "the password given for --username is empty");
    options.credentials = {username, common::Secret(std::move(password))};
  } else if (password_stdin || !password_file.empty()) {
    return Fail(exit_code::kUsage, "a password was given without --username");
  } else {
    auto found = registry::FindRegistryCredentials(
        registry, registry::CredentialSearch::FromEnvironment(flags.authfile));
    if (!found.ok()) {
      return Fail(
          absl::IsUnauthenticated(found.status()) ? exit_code::kAuthRefused : exit_code::kUsage,
          found.status());
    }
    if (found->has_value()) {
      options.credentials = (*found)->credentials;
      spdlog::info("using the credentials of {} for {} from {}",
                   options.credentials.identity_token()
                       ? std::string("an identity token")
                       : "user \"" + options.credentials.username + "\"",
                   registry, (*found)->source);
    }
  }

  auto layout = bundle::OciLayout::Open(bundle_dir);
  if (!layout.ok()) return Fail(exit_code::kInvalidInput, layout.status());

  auto client = registry::RegistryClient::Connect(std::move(options));
  if (!client.ok()) {
    return Fail(absl::IsUnavailable(client.status()) ? exit_code::kRegistryUnreachable
                                                     : ExitCodeFor(client.status()),
                client.status());
  }

  InstallStopHandler();
  registry::PushOptions push;
  push.parallel = parallel;
  push.progress = progress != "none";
  // JSON logs: progress goes out as log lines (a redrawn terminal line is not JSON).
  push.tty =
      log.format != "json" && (progress == "tty" || (progress == "auto" && isatty(STDERR_FILENO)));
  push.progress_interval = std::chrono::seconds(progress_interval);
  auto summary = registry::PushBundle(**client, *layout, push);
  if (!summary.ok() && absl::IsCancelled(summary.status())) {
    return Fail(exit_code::kFailed,
                state_dir.empty() || chunk_mib == 0
                    ? "interrupted; run again to finish (blobs cut off start over)"
                    : "interrupted; run the same command again to resume where it stopped");
  }
  if (!summary.ok()) return Fail(ExitCodeFor(summary.status()), summary.status());
  spdlog::info("done: {}", registry::FormatSummary(*summary));
  return exit_code::kOk;
}
