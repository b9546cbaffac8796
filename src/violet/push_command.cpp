#include "violet/push_command.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "bundle/image_name.h"
#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "package/opened_package.h"
#include "package/package_archive.h"
#include "package/package_verification.h"
#include "platform/dr_role.h"
#include "platform/readers.h"
#include "platform/registry.h"
#include "platform/resources.h"
#include "registry/pusher.h"
#include "registry/registry_client.h"
#include "violet/artifact_resources.h"
#include "violet/object_apply.h"
#include "violet/push_decisions.h"
#include "violet/registry_address.h"
#include "violet/safety_rails.h"

namespace violet {
namespace {

namespace fs = std::filesystem;
using package::PackageType;

std::string Msg(const absl::Status& status) { return std::string(common::View(status.message())); }

// The same status with `prefix` before its message.
absl::Status Prefixed(const std::string& prefix, const absl::Status& status) {
  return absl::Status(status.code(), prefix + Msg(status));
}

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
  std::string label;  // the file name, for output lines
  package::Verification verification;
  std::optional<package::PackageManifest> manifest;
  std::string error;           // why the package is refused: "package <file>: ..."
  std::string catalog_source;  // "" : --target-catalog-source (TopoLVM: see SeparateTopolvm)
};

// What the run talks to once the platform is read.
struct Targets {
  std::optional<k8s::RestClient> global;  // empty: no platform (images only into --dest-repo)
  std::string role;                       // the global cluster's DR role marker
  std::map<std::string, std::unique_ptr<k8s::RestClient>> clusters;  // by --clusters name
  std::unique_ptr<registry::RegistryClient> registry;
  std::string registry_host;
};

// Counts what happened and keeps the first failure (its kind is the run's exit code).
struct Run {
  PushTotals totals;
  Outcome first_failure;
  // Reports a failed package as it happens; the run goes on with the next one.
  void Fail(std::ostream& err, const Outcome& failure) {
    err << "violet: " << Msg(failure.status()) << "\n";
    ++totals.packages_failed;
    if (first_failure.ok()) first_failure = failure;
  }
};

// Step 1, open and verify. Finds the packages under request.path and, for each, checks its
// .sha256/.sig (unless --skip-verify) and reads package.yaml: cheap, before anything is
// unpacked, so a tampered package is refused early and the manifests say which clusters are
// needed. A refused package keeps its reason in `error` and the others go on; only a path
// without packages fails the step (kPackageInvalid).
Outcome OpenPackages(const PushRequest& request, std::vector<PackagePlan>* plans) {
  auto packages = package::FindPackages(request.path);
  if (!packages.ok()) return Outcome(FailureKind::kPackageInvalid, packages.status());
  for (const std::string& archive : *packages) {
    PackagePlan plan;
    plan.archive = archive;
    plan.label = fs::path(archive).filename().string();
    if (!request.skip_verify) {
      plan.verification = package::VerifyPackageFile(
          archive, {.keyring = request.keyring, .allow_unsigned = request.allow_unsigned});
      if (plan.verification.outcome == package::VerificationOutcome::kFailed) {
        plan.error = fmt::format("package {}: verification failed: {}", plan.label,
                                 plan.verification.detail);
        plans->push_back(std::move(plan));
        continue;
      }
    }
    auto manifest = package::ReadPackageManifest(archive, request.limits);
    if (manifest.ok()) {
      plan.manifest = std::move(*manifest);
    } else {
      plan.error = Msg(manifest.status());
    }
    plans->push_back(std::move(plan));
  }
  return Outcome();
}

std::vector<PackageType> TypesOf(const std::vector<PackagePlan>& plans) {
  std::vector<PackageType> types;
  for (const PackagePlan& plan : plans) {
    if (plan.manifest) types.push_back(plan.manifest->type);
  }
  return types;
}

// Step 2, the platform. Reaches the global cluster when the push needs it (NeedsPlatform) and
// reads its DR role marker: the first request, so refused credentials stop the run here,
// before an image is pushed.
Outcome ConnectGlobal(const PushRequest& request, Targets* targets) {
  if (!NeedsPlatform(request)) return Outcome();
  auto config = platform::ConfigForCluster(request.connection, platform::kGlobalCluster);
  if (!config.ok()) return Outcome(FailureKind::kUsage, config.status());
  targets->global.emplace(*config);
  auto role = platform::ReadDrRole(*targets->global);
  if (!role.ok()) return ClusterFailure(role.status(), request.connection);
  targets->role = *role;
  return Outcome();
}

// Step 3, safety rails (safety_rails.h). Refuses (kBlocked) custom resources of operator
// bundles on workload clusters while the global upgrade runs, unless --force (a warning);
// warns when images would go from a standby to the primary's registry.
Outcome CheckSafetyRails(const PushRequest& request, const std::vector<PackagePlan>& plans,
                         Targets& targets, std::ostream& out) {
  const std::vector<PackageType> types = TypesOf(plans);
  const bool any_bundle =
      std::find(types.begin(), types.end(), PackageType::kOperatorBundle) != types.end();
  if (NeedsUpgradeCheck(request, any_bundle)) {
    auto in_progress = GlobalUpgradeInProgress(*targets.global);
    if (!in_progress.ok()) {
      return ClusterFailure(
          Prefixed("cannot read the global cluster's upgrade state: ", in_progress.status()),
          request.connection);
    }
    std::string names;
    for (const std::string& name : WorkloadClusters(request.clusters)) {
      names += (names.empty() ? "" : ",") + name;
    }
    switch (DecideUpgradeRail(*in_progress, request.force)) {
      case RailDecision::kProceed:
        break;
      case RailDecision::kRefuse:
        return Outcome(
            FailureKind::kBlocked,
            absl::FailedPreconditionError(fmt::format(
                "refusing to create custom resources on workload cluster(s) {} while the global "
                "cluster's upgrade is in progress ({}); wait for it to finish, or use --skip-crs "
                "now and --skip-push later, or "
                "--force",
                names, *in_progress)));
      case RailDecision::kWarn:
        out << fmt::format(
            "WARNING: the global cluster's upgrade is in progress ({}); --force: creating "
            "custom resources on {} anyway\n",
            *in_progress, names);
        break;
    }
  }
  if (WarnStandby(targets.role, request)) {
    out << "WARNING: this platform is a standby global cluster (ConfigMap "
           "cpaas-system/global-dr-role role=standby) and no --dest-repo was given: the images "
           "go to the registry ProductBase base names, which is the primary's; give --dest-repo "
           "<standby-VIP>:11443 with the standby registry's credentials (or --no-auth)\n";
  }
  return Outcome();
}

// Step 3b, TopoLVM (SeparateTopolvm): its package moves after the others and gets the
// catalog source "platform", with a line saying so.
Outcome OrderTopolvm(const PushRequest& request, std::vector<PackagePlan>* plans, Targets& targets,
                     std::ostream& out) {
  auto is_topolvm = [](const PackagePlan& plan) {
    return plan.manifest && IsTopolvmPackage(plan.manifest->name);
  };
  if (!request.skip_push || std::none_of(plans->begin(), plans->end(), is_topolvm)) {
    return Outcome();
  }
  auto version = platform::ReadCurrentVersion(*targets.global, platform::kGlobalCluster);
  if (!version.ok()) {
    return ClusterFailure(Prefixed("cannot read the global cluster's version: ", version.status()),
                          request.connection);
  }
  if (!SeparateTopolvm(request, plans->size(), version->version)) return Outcome();
  std::stable_partition(plans->begin(), plans->end(),
                        [&](const PackagePlan& plan) { return !is_topolvm(plan); });
  for (PackagePlan& plan : *plans) {
    if (!is_topolvm(plan)) continue;
    plan.catalog_source = kTopolvmCatalogSource;
    out << fmt::format(
        "package {}: TopoLVM (global reads {}): left out of this create-CRs run and created "
        "separately after the other packages with --target-catalog-source {} (acp-spec.md §4.1 "
        "step 4)\n",
        plan.label, version->version, kTopolvmCatalogSource);
  }
  return Outcome();
}

// Step 4, target clusters. One connection per cluster name some package writes to, each
// through the platform connection's rule for that name; prints where each one is reached, so
// the cluster named in the output is the one written. Two names reaching one API server are
// refused (kUsage), as is a name the connection cannot resolve.
Outcome ResolveClusters(const PushRequest& request, const std::vector<PackagePlan>& plans,
                        Targets* targets, std::ostream& out) {
  std::vector<std::pair<std::string, std::string>> servers;
  for (const std::string& cluster : ClustersToWrite(request, TypesOf(plans))) {
    auto config = platform::ConfigForCluster(request.connection, cluster);
    if (!config.ok()) {
      return Outcome(FailureKind::kUsage, Prefixed("cluster " + cluster + ": ", config.status()));
    }
    servers.emplace_back(cluster, config->server);
    targets->clusters[cluster] = std::make_unique<k8s::RestClient>(*config);
  }
  if (absl::Status distinct = DistinctServers(servers); !distinct.ok()) {
    return Outcome(FailureKind::kUsage, distinct);
  }
  for (const auto& [cluster, server] : servers) {
    out << fmt::format("cluster {}: {}\n", cluster, server);
  }
  return Outcome();
}

// Step 5, the registry (ChooseRegistry): --dest-repo or the platform's, connected once.
// Refused credentials are kCredentialsRefused, a registry that does not answer
// kRegistryUnreachable.
Outcome ConnectRegistry(const PushRequest& request, Targets* targets, std::ostream& out) {
  std::optional<platform::Registry> platform;
  if (request.dest_repo.empty()) {
    auto read = platform::ReadRegistry(*targets->global);
    if (!read.ok()) {
      return ClusterFailure(
          absl::Status(read.status().code(),
                       Msg(read.status()) + " (or give the registry with --dest-repo)"),
          request.connection);
    }
    platform = std::move(*read);
  }
  auto options = ChooseRegistry(request, platform);
  if (!options.ok()) return Outcome(FailureKind::kStep, options.status());
  if (platform) {
    out << fmt::format("registry: {} (from {})\n", options->host, platform->where_from);
  }
  targets->registry_host = options->host;
  auto client = registry::RegistryClient::Connect(*options);
  if (!client.ok()) {
    return RegistryFailure(Prefixed("registry " + options->host + ": ", client.status()), true);
  }
  targets->registry = std::move(*client);
  return Outcome();
}

// Prints the package's first lines: what it is and how it was verified.
void AnnouncePackage(const PushRequest& request, const PackagePlan& plan, std::ostream& out) {
  const package::PackageManifest& manifest = *plan.manifest;
  out << fmt::format("package {}: {} {} {}\n", plan.label, package::TypeName(manifest.type),
                     manifest.name, manifest.version);
  if (request.skip_verify) return;
  switch (plan.verification.outcome) {
    case package::VerificationOutcome::kNoFile:
      out << fmt::format("package {}: no .sha256 or .sig beside it; not verified\n", plan.label);
      break;
    case package::VerificationOutcome::kGpg:
      out << fmt::format("package {}: verified with GPG ({})\n", plan.label,
                         plan.verification.detail);
      break;
    default:
      out << fmt::format("package {}: verified with checksum\n", plan.label);
      break;
  }
  if (!plan.verification.warning.empty()) {
    out << fmt::format("WARNING: package {}: {}\n", plan.label, plan.verification.warning);
  }
}

// Step 6a, images. Pushes the unpacked package's OCI layout (the image engine's PushBundle)
// into the target registry; a failure is the package's, retried by a re-run.
Outcome PushImages(const PushRequest& request, const PackagePlan& plan,
                   const package::OpenedPackage& opened, Targets& targets, PushTotals& totals,
                   std::ostream& out) {
  registry::PushOptions push;
  push.parallel = request.parallel;
  push.progress = false;
  auto summary = registry::PushBundle(*targets.registry, opened.layout, push);
  if (!summary.ok()) {
    return RegistryFailure(Prefixed(fmt::format("package {}: pushing images to {} failed: ",
                                                plan.label, targets.registry_host),
                                    summary.status()),
                           false);
  }
  totals.images_pushed += summary->images_pushed + summary->images_retagged;
  totals.images_present += summary->images_present;
  out << fmt::format(
      "package {}: images: {} pushed, {} already present in {}; {} blobs uploaded ({} bytes), "
      "{} mounted\n",
      plan.label, summary->images_pushed + summary->images_retagged, summary->images_present,
      targets.registry_host, summary->blobs_uploaded, summary->bytes_uploaded,
      summary->blobs_mounted);
  return Outcome();
}

// Step 6b, referenced images. No custom resource may point at an image the registry does not
// hold: one manifest HEAD per image the package names; the first missing one is
// kImagesMissing, a registry that cannot answer is a failed step.
Outcome CheckReferencedImages(const PackagePlan& plan, const package::OpenedPackage& opened,
                              Targets& targets, std::ostream& out) {
  auto session = targets.registry->NewSession();
  const std::string hint =
      "; no custom resources created (push the images first: run without --skip-push)";
  for (const std::string& reference : opened.ReferencedImages()) {
    auto name = bundle::ParseImageName(reference);
    auto digest = targets.registry->ManifestDigest(*session, name->repository, name->tag);
    if (!digest.ok()) {
      return RegistryFailure(Prefixed(fmt::format("package {}: cannot check {}/{}: ", plan.label,
                                                  targets.registry_host, name->ToString()),
                                      digest.status()),
                             false);
    }
    if (!digest->has_value()) {
      return Outcome(FailureKind::kImagesMissing,
                     absl::NotFoundError(
                         fmt::format("package {}: image {}/{} is not in the registry{}", plan.label,
                                     targets.registry_host, name->ToString(), hint)));
    }
  }
  out << fmt::format("package {}: all {} referenced images are in {}\n", plan.label,
                     opened.ReferencedImages().size(), targets.registry_host);
  return Outcome();
}

// Step 6c, custom resources. Creates or updates the package's Artifact and ArtifactVersion on
// each of its target clusters (TargetClusters), through that cluster's own connection, and
// prints each outcome under the cluster's name.
Outcome ApplyArtifacts(const PushRequest& request, const PackagePlan& plan, Targets& targets,
                       PushTotals& totals, std::ostream& out) {
  const package::PackageManifest& manifest = *plan.manifest;
  ClusterTargets clusters =
      TargetClusters(plan.label, manifest.type, request.clusters, request.clusters_given);
  if (!clusters.notice.empty()) out << clusters.notice << "\n";
  ArtifactTarget target{request.ns, targets.registry_host,
                        plan.catalog_source.empty() ? request.catalog_source : plan.catalog_source,
                        request.chart_repo};
  const std::pair<const k8s::ResourceRef*, nlohmann::json> objects[] = {
      {&platform::kArtifacts, BuildArtifact(manifest, target)},
      {&platform::kArtifactVersions, BuildArtifactVersion(manifest, target)}};
  for (const std::string& cluster : clusters.clusters) {
    k8s::RestClient& rest = *targets.clusters.at(cluster);
    for (const auto& [ref, object] : objects) {
      const std::string what =
          fmt::format("{} {}/{}", object["kind"].get<std::string>(), request.ns,
                      object["metadata"]["name"].get<std::string>());
      auto outcome = ApplyObject(rest, *ref, request.ns, object);
      if (!outcome.ok()) {
        return ClusterFailure(
            Prefixed(fmt::format("package {}: cluster {}: {}: ", plan.label, cluster, what),
                     outcome.status()),
            request.connection);
      }
      out << fmt::format("package {}: cluster {}: {} {}\n", plan.label, cluster, what,
                         OutcomeName(*outcome));
      (*outcome == ApplyOutcome::kCreated   ? totals.created
       : *outcome == ApplyOutcome::kUpdated ? totals.updated
                                            : totals.unchanged)++;
    }
  }
  return Outcome();
}

// Step 6, one package: unpack it into `work_dir` (removed when done, however it ends), then
// 6a-6c. Returns the package's failure; the caller goes on with the next package.
Outcome PushPackage(const PushRequest& request, const PackagePlan& plan,
                    const std::string& work_dir, Targets& targets, PushTotals& totals,
                    std::ostream& out) {
  if (!plan.error.empty()) {
    return Outcome(FailureKind::kPackageInvalid, absl::DataLossError(plan.error));
  }
  AnnouncePackage(request, plan, out);
  auto opened = package::OpenPackage(plan.archive, work_dir, request.limits);
  if (!opened.ok()) return Outcome(FailureKind::kPackageInvalid, opened.status());
  struct RemoveWhenDone {
    std::string dir;
    ~RemoveWhenDone() {
      std::error_code error;
      fs::remove_all(dir, error);
    }
  } remove_when_done{opened->dir};
  if (!request.skip_push) {
    if (Outcome pushed = PushImages(request, plan, *opened, targets, totals, out); !pushed.ok()) {
      return pushed;
    }
  }
  if (request.skip_crs) return Outcome();
  if (Outcome present = CheckReferencedImages(plan, *opened, targets, out); !present.ok()) {
    return present;
  }
  return ApplyArtifacts(request, plan, targets, totals, out);
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

Outcome RunPush(const PushRequest& request, std::ostream& out, std::ostream& err) {
  if (absl::Status status = ValidatePushRequest(request); !status.ok()) {
    return Outcome(FailureKind::kUsage, status);
  }
  std::vector<PackagePlan> plans;
  Targets targets;
  if (Outcome step = OpenPackages(request, &plans); !step.ok()) return step;
  if (Outcome step = ConnectGlobal(request, &targets); !step.ok()) return step;
  if (Outcome step = CheckSafetyRails(request, plans, targets, out); !step.ok()) return step;
  if (Outcome step = OrderTopolvm(request, &plans, targets, out); !step.ok()) return step;
  if (Outcome step = ResolveClusters(request, plans, &targets, out); !step.ok()) return step;
  if (Outcome step = ConnectRegistry(request, &targets, out); !step.ok()) return step;

  WorkDir work(request.work_dir);
  if (work.path().empty()) {
    return Outcome(FailureKind::kStep,
                   absl::InternalError("cannot create a temporary directory to unpack packages "
                                       "into; check $TMPDIR"));
  }
  Run run;
  for (const PackagePlan& plan : plans) {
    Outcome done = PushPackage(request, plan, work.path(), targets, run.totals, out);
    if (done.ok()) {
      ++run.totals.packages_ok;
    } else {
      run.Fail(err, done);
    }
  }
  out << FormatPushSummary(run.totals);
  return run.first_failure.Reported();
}

}  // namespace violet
