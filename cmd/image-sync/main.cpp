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
#include <nlohmann/json.hpp>
#include <thread>

#include "bundle/layout_stream.h"
#include "bundle/oci_layout.h"
#include "bundle/tar_index.h"
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

// One registry given with --registry, and how far it got.
struct Target {
  std::string host;
  bool plain = false;
  registry::Credentials credentials;
  std::unique_ptr<registry::RegistryClient> client;
  int exit_code = exit_code::kOk;
  absl::Status status;
  registry::PushSummary summary;
  bool pushed = false;  // connected and the push ran (summary is meaningful)
};

// "http://host:5000/" -> host:5000 (plain); refuses what is not host[:port].
absl::Status ParseRegistry(std::string address, Target& target) {
  if (address.starts_with("http://")) {
    target.plain = true;
    address = address.substr(7);
  } else if (address.starts_with("https://")) {
    address = address.substr(8);
  }
  while (!address.empty() && address.back() == '/') address.pop_back();
  if (address.empty() || address.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        "--registry must be host[:port] (e.g. registry.example.com:5000)");
  }
  target.host = address;
  return absl::OkStatus();
}

nlohmann::json TargetJson(const Target& target) {
  nlohmann::json out = {
      {"registry", target.host}, {"ok", target.status.ok()}, {"exitCode", target.exit_code}};
  if (!target.status.ok()) out["error"] = cli::BoundedLine(common::View(target.status.message()));
  if (target.pushed) {
    const registry::PushSummary& s = target.summary;
    out["images"] = {{"total", s.images},
                     {"pushed", s.images_pushed},
                     {"present", s.images_present},
                     {"retagged", s.images_retagged}};
    out["blobs"] = {
        {"uploaded", s.blobs_uploaded}, {"mounted", s.blobs_mounted}, {"present", s.blobs_present}};
    out["manifests"] = s.manifests_pushed;
    out["bytes"] = {{"uploaded", s.bytes_uploaded},
                    {"sent", s.bytes_sent},
                    {"resent", s.bytes_resent},
                    {"resumed", s.bytes_resumed}};
    out["requests"] = s.requests;
    out["seconds"] = s.seconds;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  cli::SetToolName("image-sync");
  CLI::App app{"Pushes the images of an OCI image layout bundle into one or more registries."};
  cli::UseYamlConfig(app, "YAML file with the same settings (flag names as keys)");
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  std::string bundle_dir, progress = "auto", output = "text";
  cli::RegistryFlags flags;
  const std::string& username = flags.username;
  const std::string& password_file = flags.password_file;
  const std::string& ca_file = flags.ca_file;
  const bool& password_stdin = flags.password_stdin;
  const bool& plain = flags.plain;
  const bool& insecure = flags.insecure;
  std::string state_dir = registry::DefaultStateDir();
  int parallel = 8, retries = 5, progress_interval = 10;
  // Small enough that a killed push re-sends little on a slow link (one 16 MiB chunk per
  // blob in flight: under a second at 200 Mbit/s), large enough that the per-chunk round
  // trip costs ~1 % at 20 ms RTT.
  int64_t chunk_mib = 16;
  app.add_option(
         "--bundle", bundle_dir,
         "OCI image layout: a directory (index.json, blobs/), images.tar, or images.tar.gz|.zst")
      ->required();
  cli::RegistryFlagNames names;
  names.password_file = true;
  names.repeatable_registry = true;
  cli::AddRegistryFlags(app, flags, names);
  app.get_option("--registry")->required();
  app.get_option("--ca-file")->check(CLI::ExistingFile);
  app.add_option("--parallel", parallel,
                 "requests in flight per registry (images and blobs share them)")
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
  app.add_option("-o,--output", output, "text, or json: a summary per registry on standard output")
      ->check(CLI::IsMember({"text", "json"}));
  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);

  std::vector<Target> targets(flags.registries.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    if (absl::Status parsed = ParseRegistry(flags.registries[i], targets[i]); !parsed.ok()) {
      return Fail(exit_code::kUsage, parsed);
    }
    targets[i].plain = targets[i].plain || plain;
    if (targets[i].plain && (insecure || !ca_file.empty())) {
      return Fail(exit_code::kUsage,
                  "--plain (HTTP) cannot be combined with --insecure or --ca-file");
    }
    for (size_t j = 0; j < i; ++j) {
      if (targets[j].host == targets[i].host) {
        return Fail(
            exit_code::kUsage,
            fmt::format("--registry {} is given twice; name each registry once", targets[i].host));
      }
    }
  }
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
  }

  // Credentials: --username (and its password) for every registry, else each registry's
  // own login from the credential chain.
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
    for (Target& target : targets) target.credentials = {username, common::Secret(password)};
  } else if (password_stdin || !password_file.empty()) {
    return Fail(exit_code::kUsage, "a password was given without --username");
  } else {
    const auto search = registry::CredentialSearch::FromEnvironment(flags.authfile);
    for (Target& target : targets) {
      auto found = registry::FindRegistryCredentials(target.host, search);
      if (!found.ok()) {
        return Fail(
            absl::IsUnauthenticated(found.status()) ? exit_code::kAuthRefused : exit_code::kUsage,
            found.status());
      }
      if (found->has_value()) {
        target.credentials = (*found)->credentials;
        spdlog::info("using the credentials of {} for {} from {}",
                     target.credentials.identity_token()
                         ? std::string("an identity token")
                         : "user \"" + target.credentials.username + "\"",
                     target.host, (*found)->source);
      }
    }
  }

  // A gzip or zstd tar is read in one pass (layout_stream.h); a directory or a plain tar in
  // place.
  std::unique_ptr<bundle::LayoutStream> stream;
  absl::StatusOr<bundle::OciLayout> layout = absl::UnknownError("not opened");
  std::error_code fs_error;
  if (!std::filesystem::is_directory(bundle_dir, fs_error) &&
      bundle::DetectCompression(bundle_dir) != bundle::ArchiveCompression::kNone) {
    auto opened = bundle::LayoutStream::Open(bundle_dir);
    if (!opened.ok()) return Fail(exit_code::kInvalidInput, opened.status());
    stream = *std::move(opened);
  } else {
    layout = bundle::OciLayout::Open(bundle_dir);
    if (!layout.ok()) return Fail(exit_code::kInvalidInput, layout.status());
  }

  // Every registry is reached at once: one that does not answer costs its timeout once.
  {
    std::vector<std::jthread> connecting;
    for (Target& target : targets) {
      connecting.emplace_back([&] {
        registry::RegistryOptions options;
        options.host = target.host;
        options.transport.plain = target.plain;
        options.transport.insecure = insecure;
        options.transport.ca_file = ca_file;
        options.transport.limits = flags.limits;
        options.retry.max_attempts = retries;
        options.chunk_bytes = chunk_mib << 20;
        options.state_dir = chunk_mib > 0 ? state_dir : "";
        options.stop = &stop_requested;
        options.credentials = target.credentials;
        auto client = registry::RegistryClient::Connect(std::move(options));
        if (client.ok()) {
          target.client = *std::move(client);
        } else {
          target.status = client.status();
          target.exit_code = absl::IsUnavailable(client.status()) ? exit_code::kRegistryUnreachable
                                                                  : ExitCodeFor(client.status());
        }
      });
    }
  }
  const bool single = targets.size() == 1;
  if (single && !targets[0].client) return Fail(targets[0].exit_code, targets[0].status);

  InstallStopHandler();
  registry::PushOptions push;
  push.parallel = parallel;
  push.progress = progress != "none";
  // JSON logs: progress goes out as log lines (a redrawn terminal line is not JSON).
  push.tty =
      log.format != "json" && (progress == "tty" || (progress == "auto" && isatty(STDERR_FILENO)));
  push.progress_interval = std::chrono::seconds(progress_interval);
  std::vector<registry::RegistryClient*> clients;
  std::vector<Target*> running;
  for (Target& target : targets) {
    if (!target.client) continue;
    clients.push_back(target.client.get());
    running.push_back(&target);
  }
  if (!clients.empty()) {
    auto results = stream ? registry::PushStreamToAll(clients, *stream, push)
                          : registry::PushBundleToAll(clients, *layout, push);
    for (size_t i = 0; i < results.size(); ++i) {
      Target& target = *running[i];
      target.pushed = true;
      target.status = results[i].status;
      target.summary = results[i].summary;
      if (!target.status.ok()) {
        target.exit_code = ExitCodeFor(target.status);
        if (absl::IsCancelled(target.status)) {
          target.status = absl::CancelledError(
              state_dir.empty() || chunk_mib == 0
                  ? "interrupted; run again to finish (blobs cut off start over)"
                  : "interrupted; run the same command again to resume where it stopped");
        }
      }
    }
  }

  int code = exit_code::kOk;
  for (const Target& target : targets) {
    if (code == exit_code::kOk) code = target.exit_code;
  }
  if (output == "json") {
    nlohmann::json document = {{"exitCode", code}, {"targets", nlohmann::json::array()}};
    for (const Target& target : targets) document["targets"].push_back(TargetJson(target));
    std::cout << document.dump(2) << std::endl;
  }
  if (single) {
    const Target& target = targets[0];
    if (!target.status.ok()) return Fail(target.exit_code, target.status);
    spdlog::info("done: {}", registry::FormatSummary(target.summary));
    return exit_code::kOk;
  }
  // Several registries: one line each, then the first failure (in --registry order) sets
  // the exit code; the others' codes are in their lines.
  for (const Target& target : targets) {
    if (target.status.ok()) {
      spdlog::info("done: {}: {}", target.host, registry::FormatSummary(target.summary));
    }
  }
  int failed = 0;
  for (const Target& target : targets) {
    if (target.status.ok()) continue;
    ++failed;
    cli::Fail(target.exit_code,
              fmt::format("registry {} (exit {}): {}", target.host, target.exit_code,
                          common::View(target.status.message())));
  }
  if (failed > 0) {
    spdlog::info("{} of {} registries done; re-run the same command to finish the others",
                 targets.size() - failed, targets.size());
  }
  return code;
}
