#include "violet/push_command.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <set>

#include "bundle/image_name.h"
#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "package/opened_package.h"
#include "package/package_archive.h"
#include "package/package_verification.h"
#include "platform/dr_role.h"
#include "platform/registry.h"
#include "platform/resources.h"
#include "registry/pusher.h"
#include "registry/registry_client.h"
#include "violet/artifact_resources.h"
#include "violet/exit_codes.h"
#include "violet/object_apply.h"
#include "violet/platform_errors.h"
#include "violet/registry_address.h"
#include "violet/safety_rails.h"

namespace violet {
namespace {

namespace fs = std::filesystem;
using package::PackageType;

bool IsAuthError(const absl::Status& status) {
  return absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status);
}

std::string Msg(const absl::Status& status) { return std::string(common::View(status.message())); }

// A temporary directory removed with everything in it when the run ends.
class WorkDir {
 public:
  explicit WorkDir(const std::string& requested) {
    if (!requested.empty()) {
      path_ = requested;
      std::error_code error;
      fs::create_directories(path_, error);
      return;
    }
    std::string templ = (fs::temp_directory_path() / "violet-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) {
      path_ = templ;
      owned_ = true;
    }
  }
  ~WorkDir() {
    std::error_code error;
    if (owned_) fs::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

struct PackagePlan {
  std::string archive;
  package::Verification verification;
  std::optional<package::PackageManifest> manifest;
  std::string error;  // why the package is refused (exit 3): "package <file>: ..."
};

struct Totals {
  int packages_ok = 0, packages_failed = 0;
  int images_pushed = 0, images_present = 0;
  int created = 0, updated = 0, unchanged = 0;
  int exit_code = kExitOk;
  void Fail(int code) {
    ++packages_failed;
    if (exit_code == kExitOk) exit_code = code;
  }
};

std::string PlatformAuthHint(const PushRequest& request) {
  return request.connection.platform_token.empty()
             ? "check --platform-username/--platform-password (a local user; IdP users need "
               "--platform-token)"
             : "check --platform-token (Profile > API Tokens)";
}

}  // namespace

absl::Status ValidatePushRequest(const PushRequest& request) {
  auto usage = [](const std::string& text) { return absl::InvalidArgumentError(text); };
  if (request.path.empty()) return usage("push needs a package (.tgz) or a directory of them");
  if (request.skip_crs && request.skip_push) {
    return usage("--skip-crs and --skip-push cannot be used together: give one of them");
  }
  const bool basic = !request.connection.platform_username.empty() ||
                     !request.connection.platform_password.empty();
  if (!request.connection.platform_token.empty() && basic) {
    return usage(
        "--platform-token cannot be combined with --platform-username/--platform-password: "
        "give one of them");
  }
  if (basic && (request.connection.platform_username.empty() ||
                request.connection.platform_password.empty())) {
    return usage("--platform-username and --platform-password go together: give both");
  }
  if (!request.connection.platform_address.empty() && request.connection.platform_token.empty() &&
      !basic) {
    return usage(
        "--platform-address needs --platform-token (or --platform-username and "
        "--platform-password)");
  }
  if (request.no_auth && (!request.username.empty() || !request.password.empty())) {
    return usage("--no-auth cannot be combined with --username/--password");
  }
  if (request.username.empty() != request.password.empty()) {
    return usage("--username and --password go together: give both (or --no-auth)");
  }
  if (!request.dest_repo.empty()) {
    if (request.username.empty() && !request.no_auth) {
      return usage("--dest-repo needs the registry's --username and --password, or --no-auth");
    }
    auto address = ParseRegistryAddress(request.dest_repo, "--dest-repo");
    if (!address.ok()) return address.status();
  }
  // Images only into a named registry needs no platform (see RunPush).
  if (!request.skip_crs || request.dest_repo.empty()) {
    if (absl::Status status = platform::RequireConnection(request.connection); !status.ok())
      return status;
  }
  if (request.clusters.empty()) return usage("--clusters is empty: name at least one cluster");
  for (const std::string& cluster : request.clusters) {
    if (cluster.empty() || cluster.find('/') != std::string::npos) {
      return usage(fmt::format("--clusters: \"{}\" is not a cluster name", cluster));
    }
  }
  if (request.catalog_source.empty()) return usage("--target-catalog-source is empty");
  if (request.chart_repo.empty()) return usage("--target-chartrepo is empty");
  if (request.ns.empty()) return usage("--namespace is empty");
  return absl::OkStatus();
}

int RunPush(const PushRequest& request, std::ostream& out, std::ostream& err) {
  if (absl::Status status = ValidatePushRequest(request); !status.ok()) {
    err << "violet: " << Msg(status) << "\n";
    return kExitUsage;
  }
  auto packages = package::FindPackages(request.path);
  if (!packages.ok()) {
    err << "violet: " << Msg(packages.status()) << "\n";
    return kExitUsage;
  }

  // Verification and package.yaml first (cheap): a tampered package is refused before it
  // is unpacked, and the manifests say which packages need which clusters.
  std::vector<PackagePlan> plans;
  for (const std::string& archive : *packages) {
    PackagePlan plan;
    plan.archive = archive;
    if (!request.skip_verify) {
      plan.verification = package::VerifyPackageFile(
          archive, {.keyring = request.keyring, .allow_unsigned = request.allow_unsigned});
      if (plan.verification.outcome == package::VerificationOutcome::kFailed) {
        plan.error = fmt::format("package {}: verification failed: {}",
                                 fs::path(archive).filename().string(), plan.verification.detail);
        plans.push_back(std::move(plan));
        continue;
      }
    }
    auto manifest = package::ReadPackageManifest(archive, request.limits);
    if (manifest.ok()) {
      plan.manifest = std::move(*manifest);
    } else {
      plan.error = Msg(manifest.status());
    }
    plans.push_back(std::move(plan));
  }

  // Images only, into a registry named on the command line, with no platform flags: nothing
  // to read from or write to a cluster (upgrade.sh pushes its plugins/*.tgz this way).
  const bool platform_given =
      !request.connection.platform_address.empty() || !request.connection.kubeconfig.empty();
  const bool needs_platform = !request.skip_crs || request.dest_repo.empty() || platform_given;
  std::optional<k8s::RestClient> global;
  std::string role;
  if (needs_platform) {
    auto global_config = platform::ConfigForCluster(request.connection, platform::kGlobalCluster);
    if (!global_config.ok()) {
      err << "violet: " << Msg(global_config.status()) << "\n";
      return kExitUsage;
    }
    global.emplace(*global_config);
    // The first request also proves the credentials.
    auto read_role = platform::ReadDrRole(*global);
    if (!read_role.ok()) {
      if (IsAuthError(read_role.status())) {
        err << "violet: the platform refused the credentials (" << Msg(read_role.status()) << "); "
            << PlatformAuthHint(request) << "\n";
        return kExitAuthRefused;
      }
      err << "violet: " << Msg(read_role.status()) << "\n";
      return kExitFailed;
    }
    role = *read_role;
  }

  const bool any_bundle = std::any_of(plans.begin(), plans.end(), [](const PackagePlan& plan) {
    return plan.manifest && plan.manifest->type == PackageType::kOperatorBundle;
  });
  const std::vector<std::string> workload = WorkloadClusters(request.clusters);
  if (!request.skip_crs && any_bundle && !workload.empty()) {
    auto in_progress = GlobalUpgradeInProgress(*global);
    if (!in_progress.ok()) {
      err << "violet: cannot read the global cluster's upgrade state: " << Msg(in_progress.status())
          << "\n";
      return kExitFailed;
    }
    if (!in_progress->empty()) {
      std::string names;
      for (const std::string& name : workload) names += (names.empty() ? "" : ",") + name;
      if (!request.force) {
        err << fmt::format(
            "violet: refusing to create custom resources on workload cluster(s) {} while the "
            "global cluster's upgrade is in progress (ClusterVersionShadow cpaas-system/global: "
            "{}); wait for it to finish, or use --skip-crs now and --skip-push later, or --force\n",
            names, *in_progress);
        return kExitRefusedBySafety;
      }
      out << fmt::format(
          "WARNING: the global cluster's upgrade is in progress ({}); --force: creating custom "
          "resources on {} anyway\n",
          *in_progress, names);
    }
  }
  if (role == "standby" && request.dest_repo.empty() && !request.skip_push) {
    out << "WARNING: this platform is a standby global cluster (ConfigMap "
           "cpaas-system/global-dr-role role=standby) and no --dest-repo was given: the images "
           "go to the registry ProductBase base names, which is the primary's; give --dest-repo "
           "<standby-VIP>:11443 with the standby registry's credentials (or --no-auth)\n";
  }

  // The registry the images go to and are checked in.
  registry::RegistryOptions options;
  options.transport.plain = request.plain;
  options.transport.insecure = request.registry_insecure;
  options.transport.ca_file = request.registry_ca_file;
  options.transport.limits = request.transfer_limits;
  if (!request.dest_repo.empty()) {
    auto address = ParseRegistryAddress(request.dest_repo, "--dest-repo");
    options.host = address->host;
    options.transport.plain = options.transport.plain || address->plain;
  } else {
    auto platform_registry = platform::ReadRegistry(*global);
    if (!platform_registry.ok()) {
      err << "violet: " << Msg(platform_registry.status())
          << " (or give the registry with --dest-repo)\n";
      return IsAuthError(platform_registry.status()) ? kExitAuthRefused : kExitFailed;
    }
    auto address = ParseRegistryAddress(platform_registry->address, platform_registry->where_from);
    if (!address.ok()) {
      err << "violet: " << Msg(address.status()) << "\n";
      return kExitFailed;
    }
    options.host = address->host;
    options.transport.plain = options.transport.plain || address->plain;
    if (request.username.empty() && !request.no_auth) {
      options.credentials = {platform_registry->username, platform_registry->password};
    }
    out << fmt::format("registry: {} (from {})\n", options.host, platform_registry->where_from);
  }
  if (!request.username.empty()) options.credentials = {request.username, request.password};
  auto client = registry::RegistryClient::Connect(options);
  if (!client.ok()) {
    err << "violet: registry " << options.host << ": " << Msg(client.status()) << "\n";
    return IsAuthError(client.status()) ? kExitAuthRefused : kExitFailed;
  }
  auto session = (*client)->NewSession();

  WorkDir work(request.work_dir);
  if (work.path().empty()) {
    err << "violet: cannot create a temporary directory to unpack packages into\n";
    return kExitFailed;
  }
  std::map<std::string, std::unique_ptr<k8s::RestClient>> cluster_clients;
  Totals totals;
  for (const PackagePlan& plan : plans) {
    const std::string& archive = plan.archive;
    const std::string label = fs::path(archive).filename().string();
    if (!plan.error.empty()) {
      err << "violet: " << plan.error << "\n";
      totals.Fail(kExitPackageInvalid);
      continue;
    }
    const package::PackageManifest& manifest = *plan.manifest;
    out << fmt::format("package {}: {} {} {}\n", label, package::TypeName(manifest.type),
                       manifest.name, manifest.version);
    if (!request.skip_verify) {
      switch (plan.verification.outcome) {
        case package::VerificationOutcome::kNoFile:
          out << fmt::format("package {}: no .sha256 or .sig beside it; not verified\n", label);
          break;
        case package::VerificationOutcome::kGpg:
          out << fmt::format("package {}: verified with GPG ({})\n", label,
                             plan.verification.detail);
          break;
        default:
          out << fmt::format("package {}: verified with checksum\n", label);
          break;
      }
      if (!plan.verification.warning.empty()) {
        out << fmt::format("WARNING: package {}: {}\n", label, plan.verification.warning);
      }
    }
    auto opened = package::OpenPackage(archive, work.path(), request.limits);
    if (!opened.ok()) {
      err << "violet: " << Msg(opened.status()) << "\n";
      totals.Fail(kExitPackageInvalid);
      continue;
    }
    // The unpacked copy goes when this package is done, however it ends.
    struct RemoveWhenDone {
      std::string dir;
      ~RemoveWhenDone() {
        std::error_code error;
        fs::remove_all(dir, error);
      }
    } remove_when_done{opened->dir};
    if (!request.skip_push) {
      registry::PushOptions push;
      push.parallel = request.parallel;
      push.progress = false;
      auto summary = registry::PushBundle(**client, opened->layout, push);
      if (!summary.ok()) {
        err << fmt::format("violet: package {}: pushing images to {} failed: {}\n", label,
                           options.host, Msg(summary.status()));
        totals.Fail(IsAuthError(summary.status()) ? kExitAuthRefused : kExitFailed);
        continue;
      }
      totals.images_pushed += summary->images_pushed + summary->images_retagged;
      totals.images_present += summary->images_present;
      out << fmt::format(
          "package {}: images: {} pushed, {} already present in {}; {} blobs uploaded ({} bytes), "
          "{} mounted\n",
          label, summary->images_pushed + summary->images_retagged, summary->images_present,
          options.host, summary->blobs_uploaded, summary->bytes_uploaded, summary->blobs_mounted);
    }
    if (request.skip_crs) {
      ++totals.packages_ok;
      continue;
    }
    // No custom resource may point at an image the registry does not hold.
    std::string missing;
    for (const std::string& reference : opened->ReferencedImages()) {
      auto name = bundle::ParseImageName(reference);
      auto digest = (*client)->ManifestDigest(*session, name->repository, name->tag);
      if (!digest.ok()) {
        missing = fmt::format("cannot check {}/{}: {}", options.host, name->ToString(),
                              Msg(digest.status()));
        break;
      }
      if (!digest->has_value()) {
        missing = fmt::format("image {}/{} is not in the registry", options.host, name->ToString());
        break;
      }
    }
    if (!missing.empty()) {
      err << fmt::format(
          "violet: package {}: {}; no custom resources created (push the images first: run "
          "without --skip-push)\n",
          label, missing);
      totals.Fail(kExitFailed);
      continue;
    }
    out << fmt::format("package {}: all {} referenced images are in {}\n", label,
                       opened->ReferencedImages().size(), options.host);

    std::vector<std::string> clusters = request.clusters;
    if (manifest.type != PackageType::kOperatorBundle) {
      if (request.clusters_given &&
          (clusters.size() != 1 || clusters[0] != platform::kGlobalCluster)) {
        out << fmt::format(
            "NOTICE: package {}: --clusters is ignored for {}: its custom resources go to the "
            "global cluster{}\n",
            label, manifest.type == PackageType::kClusterPlugin ? "cluster plugins" : "charts",
            manifest.type == PackageType::kClusterPlugin
                ? " and the plugin reaches clusters through ModuleConfig affinity"
                : "");
      }
      clusters = {platform::kGlobalCluster};
    }
    ArtifactTarget target{request.ns, options.host, request.catalog_source, request.chart_repo};
    bool failed = false;
    for (const std::string& cluster : clusters) {
      auto& rest = cluster_clients[cluster];
      if (!rest) {
        auto config = platform::ConfigForCluster(request.connection, cluster);
        if (!config.ok()) {
          err << "violet: " << Msg(config.status()) << "\n";
          totals.Fail(kExitUsage);
          failed = true;
          break;
        }
        rest = std::make_unique<k8s::RestClient>(*config);
      }
      const std::pair<const k8s::ResourceRef*, nlohmann::json> objects[] = {
          {&platform::kArtifacts, BuildArtifact(manifest, target)},
          {&platform::kArtifactVersions, BuildArtifactVersion(manifest, target)}};
      for (const auto& [ref, object] : objects) {
        auto outcome = ApplyObject(*rest, *ref, request.ns, object);
        const std::string what =
            fmt::format("{} {}/{}", object["kind"].get<std::string>(), request.ns,
                        object["metadata"]["name"].get<std::string>());
        if (!outcome.ok()) {
          err << fmt::format("violet: package {}: cluster {}: {}: {}\n", label, cluster, what,
                             Msg(outcome.status()));
          totals.Fail(IsAuthError(outcome.status()) ? kExitAuthRefused : kExitFailed);
          failed = true;
          break;
        }
        out << fmt::format("package {}: cluster {}: {} {}\n", label, cluster, what,
                           OutcomeName(*outcome));
        (*outcome == ApplyOutcome::kCreated   ? totals.created
         : *outcome == ApplyOutcome::kUpdated ? totals.updated
                                              : totals.unchanged)++;
      }
      if (failed) break;
    }
    if (!failed) ++totals.packages_ok;
  }

  out << fmt::format(
      "Summary: {} package(s) done, {} failed; images: {} pushed, {} already present; custom "
      "resources: {} created, {} updated, {} unchanged\n",
      totals.packages_ok, totals.packages_failed, totals.images_pushed, totals.images_present,
      totals.created, totals.updated, totals.unchanged);
  if (totals.packages_failed == 0 && totals.images_pushed == 0 && totals.created == 0 &&
      totals.updated == 0) {
    out << "Nothing changed: every image and custom resource was already in place.\n";
  }
  return totals.exit_code;
}

}  // namespace violet
