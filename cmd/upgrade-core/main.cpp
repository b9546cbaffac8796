// upgrade-core: the cluster phases of upgrade.sh — registry resolution, preflight, trigger
// (ProductManifest + CVO). Flags -> src/upgrade engine -> one line per outcome; exit codes
// are upgrade.sh's (README "upgrade.sh").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/connection_flags.h"
#include "cli/fail.h"
#include "cli/registry_flags.h"
#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/exit_codes.h"
#include "registry/registry_client.h"
#include "upgrade/artifact_check.h"
#include "upgrade/cluster_access.h"
#include "upgrade/preflight_inputs.h"
#include "upgrade/preflight_runner.h"
#include "upgrade/registry_resolution.h"
#include "upgrade/release_manifest.h"
#include "upgrade/trigger.h"

namespace {

using cli::Fail;

// Reading a kubeconfig is the operator's input (2); talking to the cluster is 6.
absl::StatusOr<std::unique_ptr<k8s::RestClient>> Client(
    const absl::StatusOr<k8s::RestConfig>& config) {
  if (!config.ok()) return config.status();
  return std::make_unique<k8s::RestClient>(*config);
}

using RegistryAccess = cli::RegistryFlags;

int RunRegistry(const cli::ConnectionFlags& flags, const RegistryAccess& access,
                bool print_password) {
  k8s::PlatformConnection connection = cli::ToConnection(flags);
  auto global = Client(upgrade::GlobalClusterConfig(connection));
  if (!global.ok()) return Fail(exit_code::kUsage, global.status());
  auto resolved = upgrade::ResolveRegistry({access.registry, access.username}, global->get());
  if (!resolved.ok()) return Fail(exit_code::kClusterUnreachable, resolved.status());
  std::cout << "address=" << resolved->address << "\n"
            << "external=" << (resolved->external ? "true" : "false") << "\n"
            << "username=" << resolved->username << "\n"
            << "source=" << resolved->where_from << "\n";
  if (print_password && !resolved->password.empty()) {
    // Base64 so any character survives the shell's `read`; stdout is upgrade.sh's pipe.
    std::cout << "password_b64=" << common::EncodeBase64(resolved->password.Reveal()) << "\n";
  }
  return exit_code::kOk;
}

int RunPreflight(const cli::ConnectionFlags& flags, const std::string& cluster,
                 const std::string& release_path, const std::string& to,
                 const std::string& standby_kubeconfig, const std::string& registry,
                 const std::string& output) {
  k8s::PlatformConnection connection = cli::ToConnection(flags);
  auto global = Client(upgrade::GlobalClusterConfig(connection));
  if (!global.ok()) return Fail(exit_code::kUsage, global.status());
  auto target_cluster = Client(upgrade::WorkloadClusterConfig(connection, cluster));
  if (!target_cluster.ok()) return Fail(exit_code::kUsage, target_cluster.status());

  upgrade::PreflightScope scope;
  scope.cluster = cluster;
  std::string desired_image;
  if (!to.empty()) {
    scope.target_version = to;
    scope.target_from = "--to";
  } else if (cluster == "global") {
    auto release = upgrade::ReadReleaseManifest(release_path);
    if (!release.ok()) return Fail(exit_code::kUsage, release.status());
    scope.target_version = release->version;
    scope.target_from = release_path;
    desired_image = upgrade::ImageAt(registry, release->product_image);
  }
  std::unique_ptr<k8s::RestClient> standby;
  if (!standby_kubeconfig.empty()) {
    auto config = k8s::LoadKubeconfig(standby_kubeconfig);
    if (!config.ok()) {
      return Fail(exit_code::kUsage,
                  fmt::format("--dr-standby-kubeconfig: {}", config.status().message()));
    }
    standby = std::make_unique<k8s::RestClient>(*config);
    scope.standby = standby.get();
  }
  auto inputs = upgrade::GatherPreflightInputs(**global, **target_cluster, scope);
  if (!inputs.ok()) return Fail(exit_code::kClusterUnreachable, inputs.status());
  auto disabled = upgrade::ReadDisabledChecks(**global);
  if (!disabled.ok()) return Fail(exit_code::kClusterUnreachable, disabled.status());
  upgrade::PreflightReport report = upgrade::RunPreflight(*inputs, *disabled);
  report.desired_image = desired_image;
  if (absl::Status recorded = upgrade::RecordPreflight(**global, report); !recorded.ok()) {
    return Fail(exit_code::kClusterUnreachable, recorded);
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
      return exit_code::kOk;
    case upgrade::CheckState::kFailed:
      return exit_code::kPreflightFailed;
    case upgrade::CheckState::kRetry:
      return exit_code::kPreflightRetry;
  }
  return exit_code::kPreflightRetry;
}

int RunTrigger(const cli::ConnectionFlags& flags, const RegistryAccess& access,
               const std::string& release_path, bool skip_check_artifacts) {
  auto release = upgrade::ReadReleaseManifest(release_path);
  if (!release.ok()) return Fail(exit_code::kUsage, release.status());
  k8s::PlatformConnection connection = cli::ToConnection(flags);
  auto global = Client(upgrade::GlobalClusterConfig(connection));
  if (!global.ok()) return Fail(exit_code::kUsage, global.status());
  auto resolved = upgrade::ResolveRegistry({access.registry, access.username}, global->get());
  if (!resolved.ok()) return Fail(exit_code::kClusterUnreachable, resolved.status());
  if (!access.username.empty()) {
    if (!access.password_stdin) {
      return Fail(exit_code::kUsage, "--username needs --password (upgrade.sh passes it on stdin)");
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
                      ? exit_code::kAuthRefused
                      : exit_code::kRegistryUnreachable,
                  status);
    }
    auto missing = upgrade::MissingImages(**client, release->AllImages());
    if (!missing.ok()) return Fail(exit_code::kRegistryUnreachable, missing.status());
    if (!missing->empty()) {
      return Fail(exit_code::kImagesMissing,
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
  if (!lines.ok()) return Fail(exit_code::kClusterUnreachable, lines.status());
  for (const std::string& line : *lines) std::cout << line << "\n";
  std::cout << fmt::format(
      "upgrade to {} prepared; request it with: ac adm upgrade --cluster=global --to={}\n",
      release->version, release->version);
  return exit_code::kOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Errors read "upgrade.sh: ..." (upgrade.sh passes them on as its own).
  cli::SetToolName("upgrade-core", "upgrade.sh");
  CLI::App app{"upgrade-core: the cluster phases of upgrade.sh (registry, preflight, trigger)"};
  app.require_subcommand(1);
  app.fallthrough();  // the flags below also after the subcommand
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  cli::ConnectionFlags flags;
  cli::AddConnectionFlags(app, flags);

  RegistryAccess access;
  bool print_password = false;
  CLI::App* registry = app.add_subcommand("registry", "print the registry upgrade.sh uses");
  cli::RegistryFlagNames registry_names;
  registry_names.transfer_limits = false;
  cli::AddRegistryFlags(*registry, access, registry_names);
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
  cli::AddRegistryFlags(*trigger, access);
  trigger->add_option("--release", release_path, "the package's release.yaml");
  trigger->add_flag("--skip-check-artifacts", skip_check_artifacts,
                    "do not verify the release's images in the registry");

  if (auto done = cli::Parse(app, argc, argv, "bash upgrade.sh --help")) return *done;
  cli::StartLogging(log);
  if (registry->parsed()) return RunRegistry(flags, access, print_password);
  if (preflight->parsed()) {
    return RunPreflight(flags, cluster, release_path, to, standby, access.registry, output);
  }
  if (trigger->parsed()) return RunTrigger(flags, access, release_path, skip_check_artifacts);
  return exit_code::kFailed;
}
