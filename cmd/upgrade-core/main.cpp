// upgrade-core: the phases of upgrade.sh, one subcommand each — preflight, sync (image-sync,
// then violet push --skip-crs), trigger (artifact check, ProductManifest + CVO) and all (sync,
// then trigger) — with the registry and its credentials resolved here (--registry, the
// platform's, upgrade.conf). upgrade.sh only parses its flags and execs one of them.
// Exit codes: the one table (src/common/exit_codes.h, README "Exit codes").
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/app.h"
#include "cli/connection_flags.h"
#include "cli/fail.h"
#include "cli/log_stream.h"
#include "cli/transfer_flags.h"
#include "common/absl_fmt.h"
#include "common/exit_codes.h"
#include "platform/resources.h"
#include "registry/registry_client.h"
#include "upgrade/artifact_check.h"
#include "upgrade/hybrid_move.h"
#include "upgrade/package_sync.h"
#include "upgrade/preflight_inputs.h"
#include "upgrade/preflight_node_local.h"
#include "upgrade/preflight_runner.h"
#include "upgrade/registry_resolution.h"
#include "upgrade/release_manifest.h"
#include "upgrade/trigger.h"

namespace {

// upgrade.sh's --password and --target-creds reach us here, never in argv; we unset them at
// once so that no tool we start inherits them.
constexpr const char* kPasswordEnv = "UPGRADE_REGISTRY_PASSWORD";
constexpr const char* kTargetCredsEnv = "UPGRADE_TARGET_CREDS";
constexpr size_t kMaxPasswordBytes = 4096;

using cli::Fail;

// Where our own report lines go: stderr, or JSON log lines under --log-format json.
std::ostream* report_stream = &std::cerr;
std::string log_format = "text";  // --log-format, passed on to image-sync and violet

// Reading a kubeconfig is the operator's input (2); talking to the cluster is 6.
absl::StatusOr<std::unique_ptr<k8s::RestClient>> Client(
    const absl::StatusOr<k8s::RestConfig>& config) {
  if (!config.ok()) return config.status();
  return std::make_unique<k8s::RestClient>(*config);
}

// Every flag upgrade.sh passes on (cmd/ac/README.md "upgrade.sh"); each phase checks which
// of them it takes.
struct PackageFlags {
  std::string package_dir = ".";  // upgrade.sh's directory: the defaults below live there
  std::string registry, username, ca_file, authfile;
  std::vector<std::string> registries;  // every --registry; more than one: sync only
  bool password_stdin = false, plain = false, insecure = false;
  registry::TransferLimits limits;
  std::string bundle, plugins, release, state_dir, keyring;
  int parallel = 0, chunk_mib = 0;
  bool allow_unsigned = false, skip_check_artifacts = false;
  std::string cluster, to, standby, output;
};

void AddPackageFlags(CLI::App& app, PackageFlags& flags) {
  app.add_option("--package-dir", flags.package_dir,
                 "the core package (images/, plugins/, release.yaml, upgrade.conf, bin/)");
  app.add_option("--registry", flags.registries,
                 "registry host[:port] (default: the platform's, else upgrade.conf); sync: "
                 "repeat it to push to several registries in one run (a DR pair)")
      ->allow_extra_args(false);
  app.add_option("--username", flags.username,
                 "registry user (password: --password-stdin or $UPGRADE_REGISTRY_PASSWORD)");
  app.add_flag("--password-stdin", flags.password_stdin, "read the registry password from stdin");
  app.add_option("--authfile", flags.authfile,
                 "no --username: auth file searched first for a login (default "
                 "$REGISTRY_AUTH_FILE; then podman's and docker's files); wins over the "
                 "platform's Secret");
  app.add_flag("--plain", flags.plain, "plain HTTP registry");
  app.add_flag("--insecure", flags.insecure, "do not verify the registry's certificate");
  app.add_option("--ca-file", flags.ca_file, "CA bundle of the registry");
  cli::AddTransferLimitFlags(app, flags.limits);
  app.add_option(
      "--bundle", flags.bundle,
      "image bundle: a directory or images.tar (default <package-dir>/images, else images.tar)");
  app.add_option("--plugins", flags.plugins, "plugin packages (default <package-dir>/plugins)");
  app.add_option("--release", flags.release, "release.yaml (default <package-dir>/release.yaml)");
  app.add_option("--parallel", flags.parallel, "image-sync --parallel");
  app.add_option("--chunk-size", flags.chunk_mib, "image-sync --chunk-size (MiB)");
  app.add_option("--state-dir", flags.state_dir, "image-sync --state-dir");
  app.add_option("--keyring", flags.keyring, "violet --keyring for plugins/*.tgz");
  app.add_flag("--allow-unsigned", flags.allow_unsigned, "violet --allow-unsigned");
  app.add_flag("--skip-check-artifacts", flags.skip_check_artifacts,
               "do not verify the release's images in the registry");
  app.add_option("--cluster", flags.cluster, "preflight: cluster to check (default global)");
  app.add_option("--to", flags.to, "preflight: target version");
  app.add_option("--dr-standby-kubeconfig", flags.standby,
                 "preflight: kubeconfig of the DR standby global cluster");
  app.add_option("-o,--output", flags.output, "preflight: text or json")
      ->check(CLI::IsMember({"text", "json"}));
}

// The flag rules that depend on the phase, one line each.
absl::Status CheckPhaseFlags(const std::string& phase, const PackageFlags& flags) {
  if (!flags.cluster.empty() && phase != "preflight") {
    return absl::InvalidArgumentError(fmt::format(
        "--cluster={} goes with --preflight (workload clusters have no sync or trigger here; "
        "request their upgrade with ac adm upgrade --cluster={})",
        flags.cluster, flags.cluster));
  }
  if ((!flags.to.empty() || !flags.standby.empty() || !flags.output.empty()) &&
      phase != "preflight") {
    return absl::InvalidArgumentError(
        "--to, --dr-standby-kubeconfig and --output go with --preflight");
  }
  if (flags.registries.size() > 1 && phase != "sync") {
    return absl::InvalidArgumentError(
        "several --registry go with --only-sync-image (one run pushes to all of them); the "
        "trigger and the preflight take one");
  }
  if (flags.skip_check_artifacts && phase == "sync") {
    return absl::InvalidArgumentError("--skip-check-artifacts goes with --skip-sync-image");
  }
  return absl::OkStatus();
}

std::string TakeEnv(const char* name, bool* present) {
  const char* value = std::getenv(name);
  *present = value != nullptr;
  std::string taken = value ? value : "";
  unsetenv(name);
  return taken;
}

// One line of standard input, without its line end; bounded.
absl::StatusOr<std::string> ReadPasswordLine() {
  std::string line;
  char c;
  while (line.size() <= kMaxPasswordBytes && read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
    line.push_back(c);
  }
  if (line.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError(
        fmt::format("--password-stdin: the first line of standard input is longer than {} bytes",
                    kMaxPasswordBytes));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    return absl::InvalidArgumentError("--password-stdin: standard input held no password");
  }
  return line;
}

int RunPreflight(const platform::Connection& connection, const PackageFlags& flags) {
  if (!platform::RequireConnection(connection).ok()) {
    return Fail(exit_code::kUsage,
                "--preflight needs the global cluster: pass --kubeconfig <file> (or set "
                "KUBECONFIG)");
  }
  const std::string cluster = flags.cluster.empty() ? "global" : flags.cluster;
  auto global = Client(platform::ConfigForCluster(connection, platform::kGlobalCluster));
  if (!global.ok()) return Fail(exit_code::kUsage, global.status());
  auto target_cluster = Client(platform::ConfigForCluster(connection, cluster));
  if (!target_cluster.ok()) return Fail(exit_code::kUsage, target_cluster.status());

  upgrade::PreflightScope scope;
  scope.cluster = cluster;
  std::string desired_image;
  if (!flags.to.empty()) {
    scope.target_version = flags.to;
    scope.target_from = "--to";
  } else if (cluster == "global") {
    auto release = upgrade::ReadReleaseManifest(flags.release);
    if (!release.ok()) return Fail(exit_code::kUsage, release.status());
    scope.target_version = release->version;
    scope.target_from = flags.release;
    desired_image = upgrade::ImageAt(flags.registry, release->product_image);
  }
  std::unique_ptr<k8s::RestClient> standby;
  if (!flags.standby.empty()) {
    auto config = k8s::LoadKubeconfig(flags.standby);
    if (!config.ok()) {
      return Fail(exit_code::kUsage,
                  fmt::format("--dr-standby-kubeconfig: {}", config.status().message()));
    }
    standby = std::make_unique<k8s::RestClient>(*config);
    scope.standby = standby.get();
  }
  auto inputs = upgrade::GatherPreflightInputs(**global, **target_cluster, scope);
  if (!inputs.ok()) return Fail(exit_code::kClusterUnreachable, inputs.status());
  if (cluster == "global") {
    // The node-local checks measure this machine; $UPGRADE_NODE_ROOT moves / for tests.
    upgrade::NodeLocalPaths paths;
    if (const char* root = std::getenv("UPGRADE_NODE_ROOT"); root && *root) paths.root = root;
    paths.package_dir = flags.package_dir;
    inputs->node = upgrade::ReadNodeLocalFacts(paths);
  }
  auto disabled = upgrade::ReadDisabledChecks(**global);
  if (!disabled.ok()) return Fail(exit_code::kClusterUnreachable, disabled.status());
  upgrade::PreflightReport report = upgrade::RunPreflight(*inputs, *disabled);
  report.desired_image = desired_image;
  if (absl::Status recorded = upgrade::RecordPreflight(**global, report); !recorded.ok()) {
    return Fail(exit_code::kClusterUnreachable, recorded);
  }
  if (flags.output == "json") {
    nlohmann::json document = upgrade::PreflightStatus(report);
    document["cluster"] = report.cluster;
    document["currentVersion"] = report.current_version;
    document["recorded"] = report.recorded;
    std::cout << document.dump(2) << "\n";
  } else {
    std::cout << upgrade::FormatPreflightReport(report);
  }
  switch (report.overall) {
    case upgrade::CheckState::kPassed:
      return exit_code::kOk;
    case upgrade::CheckState::kFailed:
      return exit_code::kPreflightFailed;
    case upgrade::CheckState::kRetry:
      return exit_code::kPreflightRetry;
  }
  return exit_code::kPreflightRetry;
}

int RunSync(const PackageFlags& flags, const CLI::App& phase, const platform::Registry& resolved,
            const std::vector<platform::Registry>& more, bool per_host_logins, bool verbose) {
  upgrade::ImageSyncRequest request;
  request.package_dir = flags.package_dir;
  if (const char* bin = std::getenv("IMAGE_SYNC_BIN")) request.image_sync_override = bin;
  if (const char* bin = std::getenv("VIOLET_BIN")) request.violet_override = bin;
  request.bundle = flags.bundle;
  request.plugins = flags.plugins;
  request.registry = resolved.address;
  request.username = resolved.username;
  request.password = resolved.password;
  for (const platform::Registry& target : more) {
    request.more_registries.push_back({target.address, target.username, target.password});
  }
  request.per_host_logins = per_host_logins;
  request.authfile = flags.authfile;
  request.plain = flags.plain;
  request.insecure = flags.insecure;
  request.ca_file = flags.ca_file;
  if (phase.count("--parallel") > 0) request.parallel = flags.parallel;
  if (phase.count("--chunk-size") > 0) request.chunk_mib = flags.chunk_mib;
  request.state_dir = flags.state_dir;
  if (phase.count("--min-speed") > 0) request.min_speed = flags.limits.min_speed;
  if (phase.count("--stall-seconds") > 0) {
    request.stall_seconds = static_cast<int>(flags.limits.stall.count());
  }
  if (phase.count("--request-timeout") > 0) {
    request.request_timeout = static_cast<int>(flags.limits.request_timeout.count());
  }
  request.keyring = flags.keyring;
  request.allow_unsigned = flags.allow_unsigned;
  request.verbose = verbose;
  request.log_format = log_format;
  auto synced = upgrade::SyncPackageImages(request, *report_stream);
  if (!synced.ok()) {
    return Fail(absl::IsNotFound(synced.status()) ? exit_code::kInvalidInput : exit_code::kFailed,
                synced.status());
  }
  return *synced;  // a tool's own exit code: it has said why, in one line
}

int RunTrigger(k8s::RestClient& global, const PackageFlags& flags,
               const platform::Registry& resolved, const upgrade::ReleaseManifest& release) {
  std::cout << fmt::format("registry {} (from {})\n", resolved.address, resolved.where_from);
  if (flags.skip_check_artifacts) {
    std::cout << "artifact check skipped (--skip-check-artifacts)\n";
  } else {
    registry::RegistryOptions options;
    options.host = resolved.address;
    options.transport.plain = flags.plain;
    options.transport.insecure = flags.insecure;
    options.transport.ca_file = flags.ca_file;
    options.transport.limits = flags.limits;
    options.retry.max_attempts = 2;
    if (!resolved.username.empty()) options.credentials = {resolved.username, resolved.password};
    auto client = registry::RegistryClient::Connect(std::move(options));
    if (!client.ok()) {
      const absl::Status& status = client.status();
      return Fail(absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)
                      ? exit_code::kAuthRefused
                      : exit_code::kRegistryUnreachable,
                  status);
    }
    auto missing = upgrade::MissingImages(**client, release.AllImages());
    if (!missing.ok()) return Fail(exit_code::kRegistryUnreachable, missing.status());
    if (!missing->empty()) {
      return Fail(exit_code::kImagesMissing,
                  fmt::format("{} of the {} images release {} needs are not in registry {} "
                              "(first: {}) — run bash upgrade.sh --only-sync-image first, or "
                              "pass --skip-check-artifacts",
                              missing->size(), release.AllImages().size(), release.version,
                              resolved.address, missing->front()));
    }
    std::cout << fmt::format("artifacts: all {} images of release {} are in {}\n",
                             release.AllImages().size(), release.version, resolved.address);
  }
  auto lines = upgrade::TriggerUpgrade(global, release, resolved.address);
  if (!lines.ok()) return Fail(exit_code::kClusterUnreachable, lines.status());
  for (const std::string& line : *lines) std::cout << line << "\n";
  std::cout << fmt::format(
      "upgrade to {} prepared; request it with: ac adm upgrade --cluster=global --to={}\n",
      release.version, release.version);
  return exit_code::kOk;
}

// sync, trigger, all: resolve the registry once, then run the phase's steps.
int RunPackagePhase(const std::string& phase, const CLI::App& command,
                    const platform::Connection& connection, const PackageFlags& flags,
                    upgrade::GivenCredentials given, bool verbose) {
  const bool hybrid = phase == "hybrid";
  const bool sync = phase != "trigger", trigger = phase == "trigger" || phase == "all";
  const bool configured = platform::RequireConnection(connection).ok();
  if (hybrid && !configured) {
    return Fail(exit_code::kUsage,
                "--move-to-hybrid needs the global cluster: pass --kubeconfig <file> (or set "
                "KUBECONFIG)");
  }
  if (trigger && !configured) {
    return Fail(exit_code::kUsage,
                fmt::format("{} needs the global cluster: pass --kubeconfig <file> (or set "
                            "KUBECONFIG)",
                            sync ? "the trigger (upgrade.sh without --only-sync-image)"
                                 : "--skip-sync-image"));
  }
  std::optional<upgrade::ReleaseManifest> release;
  if (trigger) {
    auto read = upgrade::ReadReleaseManifest(flags.release);
    if (!read.ok()) return Fail(exit_code::kUsage, read.status());
    release = *std::move(read);
  }
  if (flags.password_stdin) {
    auto line = ReadPasswordLine();
    if (!line.ok()) return Fail(exit_code::kUsage, line.status());
    given.password = common::Secret(*std::move(line));
  }
  given.username = flags.username;
  auto credentials = upgrade::CheckCredentials(given);
  if (!credentials.ok()) return Fail(exit_code::kUsage, credentials.status());

  std::unique_ptr<k8s::RestClient> global;
  if (configured && (trigger || hybrid || flags.registry.empty())) {
    auto client = Client(platform::ConfigForCluster(connection, platform::kGlobalCluster));
    if (!client.ok()) return Fail(exit_code::kUsage, client.status());
    global = *std::move(client);
  }
  if (hybrid) {
    // Refused before anything is pushed or the label touched.
    auto archs = upgrade::NodeArchitectures(*global);
    if (!archs.ok()) {
      return Fail(absl::IsFailedPrecondition(archs.status()) ? exit_code::kBlocked
                                                             : exit_code::kClusterUnreachable,
                  archs.status());
    }
    auto checked = upgrade::CheckHybridBundle(flags.bundle, *archs);
    if (!checked.ok()) return Fail(exit_code::kInvalidInput, checked.status());
    if (!checked->covered) return Fail(exit_code::kBlocked, checked->line);
    *report_stream << "upgrade.sh: " << checked->line << "\n";
  }
  upgrade::RegistryRequest request;
  request.registry = flags.registry;
  const bool per_host_logins = credentials->username.empty() && flags.registries.size() > 1;
  const upgrade::GivenCredentials shared_credentials = *credentials;
  request.credentials = *std::move(credentials);
  const char* config = std::getenv("UPGRADE_CONFIG");
  request.config_file = config && *config ? config : flags.package_dir + "/upgrade.conf";
  request.logins = registry::CredentialSearch::FromEnvironment(flags.authfile);
  auto choice = upgrade::ResolveRegistry(request, global.get());
  if (!choice.ok()) {
    const absl::Status& status = choice.status();
    return Fail(absl::IsInvalidArgument(status)   ? exit_code::kUsage
                : absl::IsUnauthenticated(status) ? exit_code::kAuthRefused
                                                  : exit_code::kClusterUnreachable,
                status);
  }
  const platform::Registry& resolved = choice->registry;
  if (!choice->warning.empty())
    *report_stream << "upgrade.sh: warning: " << choice->warning << "\n";
  if (flags.registry.empty()) {
    *report_stream << fmt::format("upgrade.sh: registry {} (from {})\n", resolved.address,
                                  resolved.where_from);
  }
  if (!choice->credentials_from.empty()) {
    // Resolved once: image-sync, violet and the artifact check all get these.
    *report_stream << fmt::format("upgrade.sh: using the credentials of {} for {} from {}\n",
                                  resolved.username == registry::kIdentityTokenUsername
                                      ? std::string("an identity token")
                                      : "user \"" + resolved.username + "\"",
                                  resolved.address, choice->credentials_from);
  }

  // Further --registry (sync only): each resolved alike (the same flags, else its own login).
  std::vector<platform::Registry> more;
  for (size_t i = 1; i < flags.registries.size(); ++i) {
    upgrade::RegistryRequest another = request;
    another.registry = flags.registries[i];
    another.credentials = shared_credentials;
    auto other = upgrade::ResolveRegistry(another, nullptr);
    if (!other.ok()) {
      const absl::Status& status = other.status();
      return Fail(absl::IsUnauthenticated(status) ? exit_code::kAuthRefused : exit_code::kUsage,
                  status);
    }
    if (!other->credentials_from.empty()) {
      *report_stream << fmt::format("upgrade.sh: using the credentials of {} for {} from {}\n",
                                    other->registry.username == registry::kIdentityTokenUsername
                                        ? std::string("an identity token")
                                        : "user \"" + other->registry.username + "\"",
                                    other->registry.address, other->credentials_from);
    }
    more.push_back(other->registry);
  }

  if (sync) {
    const char* skip = std::getenv("SKIP_SYNC_IMAGE");
    if (resolved.external) {
      *report_stream << fmt::format(
          "upgrade.sh: registry {} is external: image sync skipped (SKIP_SYNC_IMAGE=true)\n",
          resolved.address);
    } else if (skip && std::string_view(skip) == "true") {
      *report_stream << "upgrade.sh: image sync skipped ($SKIP_SYNC_IMAGE=true)\n";
    } else if (int code = RunSync(flags, command, resolved, more, per_host_logins, verbose);
               code != exit_code::kOk) {
      return code;
    }
  }
  if (hybrid) {
    auto removed = upgrade::RemoveNodeArchConstraint(*global);
    if (!removed.ok()) return Fail(exit_code::kClusterUnreachable, removed.status());
    std::cout << *removed << "\n";
    return exit_code::kOk;
  }
  if (!trigger) return exit_code::kOk;
  return RunTrigger(*global, flags, resolved, *release);
}

}  // namespace

int main(int argc, char** argv) {
  // Errors read "upgrade.sh: ..." (upgrade.sh passes them on as its own).
  cli::SetToolName("upgrade-core", "upgrade.sh");
  // Taken before anything else runs, so no child ever sees them.
  upgrade::GivenCredentials given;
  bool creds_present = false;
  given.password = common::Secret(TakeEnv(kPasswordEnv, &given.password_given));
  given.base64_pair = common::Secret(TakeEnv(kTargetCredsEnv, &creds_present));

  CLI::App app{"upgrade-core: the phases of upgrade.sh (preflight, sync, trigger, all)"};
  app.require_subcommand(1);
  app.fallthrough();  // the connection flags may follow the subcommand
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  cli::ConnectionFlags connection_flags;
  cli::AddConnectionFlags(app, connection_flags);

  PackageFlags flags;
  std::vector<CLI::App*> phases = {
      app.add_subcommand("preflight", "run the preflight checks (upgrade.sh --preflight)"),
      app.add_subcommand("sync", "push the package's images (upgrade.sh --only-sync-image)"),
      app.add_subcommand("trigger",
                         "check the images, publish the release, deploy the CVO "
                         "(upgrade.sh --skip-sync-image)"),
      app.add_subcommand("all", "sync, then trigger (upgrade.sh without a phase flag)"),
      app.add_subcommand("hybrid",
                         "check the hybrid bundle covers the nodes' architectures, sync it, "
                         "then remove label cpaas.io/node-arch-constraint from Cluster global "
                         "(upgrade.sh --move-to-hybrid)")};
  for (CLI::App* phase : phases) AddPackageFlags(*phase, flags);

  if (auto done = cli::Parse(app, argc, argv, "bash upgrade.sh --help")) return *done;
  cli::StartLogging(log);
  report_stream = &cli::ReportStream(log);
  log_format = log.format;
  const bool verbose = log.verbose;
  const CLI::App* command = nullptr;
  for (const CLI::App* phase : phases) {
    if (phase->parsed()) command = phase;
  }
  if (command == nullptr) return exit_code::kUsage;
  const std::string phase = command->get_name();
  if (absl::Status checked = CheckPhaseFlags(phase, flags); !checked.ok()) {
    return Fail(exit_code::kUsage, checked);
  }
  if (!flags.registries.empty()) flags.registry = flags.registries.front();
  if (flags.bundle.empty()) flags.bundle = upgrade::FindBundle(flags.package_dir);
  if (flags.plugins.empty()) flags.plugins = flags.package_dir + "/plugins";
  if (flags.release.empty()) flags.release = flags.package_dir + "/release.yaml";

  const platform::Connection connection = cli::ToConnection(connection_flags);
  if (phase == "preflight") return RunPreflight(connection, flags);
  if (flags.password_stdin && (given.password_given || creds_present)) {
    return Fail(exit_code::kUsage,
                "--password-stdin, --password and --target-creds are alternatives; pass one");
  }
  if (flags.password_stdin) given.password_given = true;
  return RunPackagePhase(phase, *command, connection, flags, std::move(given), verbose);
}
