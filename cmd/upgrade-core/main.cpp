// upgrade-core: the cluster phases of upgrade.sh — registry resolution, preflight, trigger
// (ProductManifest + CVO). Flags -> src/upgrade engine -> one line per outcome; exit codes
// are upgrade.sh's (README "upgrade.sh").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/logging.h"
#include "platform/resources.h"
#include "registry/registry_client.h"
#include "registry/transfer_flags.h"
#include "upgrade/artifact_check.h"
#include "upgrade/cluster_access.h"
#include "upgrade/preflight_inputs.h"
#include "upgrade/preflight_runner.h"
#include "upgrade/registry_resolution.h"
#include "upgrade/release_manifest.h"
#include "upgrade/trigger.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRegistryAuth = 4;
constexpr int kExitRegistryUnreachable = 5;
constexpr int kExitCluster = 6;
constexpr int kExitPreflightFailed = 7;
constexpr int kExitPreflightRetry = 8;
constexpr int kExitArtifactsMissing = 9;

int Fail(int code, std::string_view message) {
  std::cerr << "upgrade.sh: " << message << "\n";
  return code;
}
int Fail(int code, const absl::Status& status) {
  return Fail(code, common::View(status.message()));
}

// Reading a kubeconfig is the operator's input (2); talking to the cluster is 6.
absl::StatusOr<std::unique_ptr<k8s::RestClient>> Client(
    const absl::StatusOr<k8s::RestConfig>& config) {
  if (!config.ok()) return config.status();
  return std::make_unique<k8s::RestClient>(*config);
}

struct RegistryAccess {
  std::string registry, username;
  bool password_stdin = false, plain = false, insecure = false;
  std::string ca_file;
  registry::TransferLimits limits;
};

void AddRegistryFlags(CLI::App& app, RegistryAccess& access) {
  app.add_option("--registry", access.registry, "registry host[:port] (default: the platform's)");
  app.add_option("--username", access.username, "registry user");
  app.add_flag("--password-stdin", access.password_stdin, "read the registry password from stdin");
  app.add_flag("--plain", access.plain, "plain HTTP registry");
  app.add_flag("--insecure", access.insecure, "do not verify the registry's certificate");
  app.add_option("--ca-file", access.ca_file, "CA bundle of the registry");
}

int RunRegistry(const upgrade::ConnectionFlags& flags, const RegistryAccess& access,
                bool print_password) {
  platform::Connection connection = upgrade::ToConnection(flags);
  auto global = Client(platform::ConfigForCluster(connection, platform::kGlobalCluster));
  if (!global.ok()) return Fail(kExitUsage, global.status());
  auto resolved = upgrade::ResolveRegistry({access.registry, access.username}, global->get());
  if (!resolved.ok()) return Fail(kExitCluster, resolved.status());
  std::cout << "address=" << resolved->address << "\n"
            << "external=" << (resolved->external ? "true" : "false") << "\n"
            << "username=" << resolved->username << "\n"
            << "source=" << resolved->where_from << "\n";
  if (print_password && !resolved->password.empty()) {
    // Base64 so any character survives the shell's `read`; stdout is upgrade.sh's pipe.
    std::cout << "password_b64=" << common::EncodeBase64(resolved->password.Reveal()) << "\n";
  }
  return kExitOk;
}

int RunPreflight(const upgrade::ConnectionFlags& flags, const std::string& cluster,
                 const std::string& release_path, const std::string& to,
                 const std::string& standby_kubeconfig, const std::string& registry,
                 const std::string& output) {
  platform::Connection connection = upgrade::ToConnection(flags);
  auto global = Client(platform::ConfigForCluster(connection, platform::kGlobalCluster));
  if (!global.ok()) return Fail(kExitUsage, global.status());
  auto target_cluster = Client(platform::ConfigForCluster(connection, cluster));
  if (!target_cluster.ok()) return Fail(kExitUsage, target_cluster.status());

  upgrade::PreflightScope scope;
  scope.cluster = cluster;
  std::string desired_image;
  if (!to.empty()) {
    scope.target_version = to;
    scope.target_from = "--to";
  } else if (cluster == "global") {
    auto release = upgrade::ReadReleaseManifest(release_path);
    if (!release.ok()) return Fail(kExitUsage, release.status());
    scope.target_version = release->version;
    scope.target_from = release_path;
    desired_image = upgrade::ImageAt(registry, release->product_image);
  }
  std::unique_ptr<k8s::RestClient> standby;
  if (!standby_kubeconfig.empty()) {
    auto config = k8s::LoadKubeconfig(standby_kubeconfig);
    if (!config.ok()) {
      return Fail(kExitUsage,
                  fmt::format("--dr-standby-kubeconfig: {}", config.status().message()));
    }
    standby = std::make_unique<k8s::RestClient>(*config);
    scope.standby = standby.get();
  }
  auto inputs = upgrade::GatherPreflightInputs(**global, **target_cluster, scope);
  if (!inputs.ok()) return Fail(kExitCluster, inputs.status());
  auto disabled = upgrade::ReadDisabledChecks(**global);
  if (!disabled.ok()) return Fail(kExitCluster, disabled.status());
  upgrade::PreflightReport report = upgrade::RunPreflight(*inputs, *disabled);
  report.desired_image = desired_image;
  if (absl::Status recorded = upgrade::RecordPreflight(**global, report); !recorded.ok()) {
    return Fail(kExitCluster, recorded);
  }
  if (output == "json") {
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
      return kExitOk;
    case upgrade::CheckState::kFailed:
      return kExitPreflightFailed;
    case upgrade::CheckState::kRetry:
      return kExitPreflightRetry;
  }
  return kExitPreflightRetry;
}

int RunTrigger(const upgrade::ConnectionFlags& flags, const RegistryAccess& access,
               const std::string& release_path, bool skip_check_artifacts) {
  auto release = upgrade::ReadReleaseManifest(release_path);
  if (!release.ok()) return Fail(kExitUsage, release.status());
  platform::Connection connection = upgrade::ToConnection(flags);
  auto global = Client(platform::ConfigForCluster(connection, platform::kGlobalCluster));
  if (!global.ok()) return Fail(kExitUsage, global.status());
  auto resolved = upgrade::ResolveRegistry({access.registry, access.username}, global->get());
  if (!resolved.ok()) return Fail(kExitCluster, resolved.status());
  if (!access.username.empty()) {
    if (!access.password_stdin) {
      return Fail(kExitUsage, "--username needs --password (upgrade.sh passes it on stdin)");
    }
    std::string password;
    std::getline(std::cin, password);
    resolved->password = common::Secret(password);
  }
  std::cout << fmt::format("registry {} (from {})\n", resolved->address, resolved->where_from);

  if (skip_check_artifacts) {
    std::cout << "artifact check skipped (--skip-check-artifacts)\n";
  } else {
    registry::RegistryOptions options;
    options.host = resolved->address;
    options.transport.plain = access.plain;
    options.transport.insecure = access.insecure;
    options.transport.ca_file = access.ca_file;
    options.transport.limits = access.limits;
    options.retry.max_attempts = 2;
    if (!resolved->username.empty()) {
      options.credentials = {resolved->username, resolved->password};
    }
    auto client = registry::RegistryClient::Connect(std::move(options));
    if (!client.ok()) {
      const absl::Status& status = client.status();
      return Fail(absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)
                      ? kExitRegistryAuth
                      : kExitRegistryUnreachable,
                  status);
    }
    auto missing = upgrade::MissingImages(**client, release->AllImages());
    if (!missing.ok()) return Fail(kExitRegistryUnreachable, missing.status());
    if (!missing->empty()) {
      return Fail(kExitArtifactsMissing,
                  fmt::format("{} of the {} images release {} needs are not in registry {} "
                              "(first: {}) — run bash upgrade.sh --only-sync-image first, or "
                              "pass --skip-check-artifacts",
                              missing->size(), release->AllImages().size(), release->version,
                              resolved->address, missing->front()));
    }
    std::cout << fmt::format("artifacts: all {} images of release {} are in {}\n",
                             release->AllImages().size(), release->version, resolved->address);
  }
  auto lines = upgrade::TriggerUpgrade(**global, *release, resolved->address);
  if (!lines.ok()) return Fail(kExitCluster, lines.status());
  for (const std::string& line : *lines) std::cout << line << "\n";
  std::cout << fmt::format(
      "upgrade to {} prepared; request it with: ac adm upgrade --cluster=global --to={}\n",
      release->version, release->version);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"upgrade-core: the cluster phases of upgrade.sh (registry, preflight, trigger)"};
  app.require_subcommand(1);
  upgrade::ConnectionFlags flags;
  upgrade::AddConnectionFlags(app, flags);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");

  RegistryAccess access;
  bool print_password = false;
  CLI::App* registry = app.add_subcommand("registry", "print the registry upgrade.sh uses");
  AddRegistryFlags(*registry, access);
  registry->add_flag("--print-password", print_password,
                     "also print password_b64= (for upgrade.sh's pipe only)");

  std::string cluster = "global", release_path = "release.yaml", to, standby, output = "text";
  CLI::App* preflight = app.add_subcommand("preflight", "run the preflight checks");
  preflight->add_option("--cluster", cluster, "cluster to check (default global)");
  preflight->add_option("--release", release_path, "the package's release.yaml");
  preflight->add_option("--to", to, "target version (default: release.yaml's; workload: global's)");
  preflight->add_option("--dr-standby-kubeconfig", standby,
                        "DR: kubeconfig of the standby global cluster (ordering check)");
  preflight->add_option("--registry", access.registry, "registry (for the desired image)");
  preflight->add_option("-o,--output", output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  bool skip_check_artifacts = false;
  CLI::App* trigger = app.add_subcommand("trigger", "publish the release and deploy the CVO");
  AddRegistryFlags(*trigger, access);
  registry::AddTransferLimitFlags(*trigger, access.limits);
  trigger->add_option("--release", release_path, "the package's release.yaml");
  trigger->add_flag("--skip-check-artifacts", skip_check_artifacts,
                    "do not verify the release's images in the registry");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return Fail(kExitUsage, std::string(e.what()) + " (see bash upgrade.sh --help)");
  }
  common::InitLogging(verbose);
  if (registry->parsed()) return RunRegistry(flags, access, print_password);
  if (preflight->parsed()) {
    return RunPreflight(flags, cluster, release_path, to, standby, access.registry, output);
  }
  if (trigger->parsed()) return RunTrigger(flags, access, release_path, skip_check_artifacts);
  return kExitFailed;
}
