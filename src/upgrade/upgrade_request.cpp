#include "upgrade/upgrade_request.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/name_list.h"
#include "upgrade/preflight_inputs.h"
#include "upgrade/status_view.h"
#include "upgrade/version_rules.h"

namespace upgrade {

using nlohmann::json;

absl::StatusOr<json> ReadShadow(k8s::RestClient& global, const std::string& cluster) {
  auto cvsh = global.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, cluster);
  if (absl::IsNotFound(cvsh.status())) {
    return absl::NotFoundError(fmt::format(
        "no ClusterVersionShadow cpaas-system/{}: check --cluster, and that the CVO is deployed "
        "(bash upgrade.sh --skip-sync-image)",
        cluster));
  }
  return cvsh;
}

std::vector<std::string> BlockingResourcePatches(const json& patches, const std::string& cluster,
                                                 const std::string& target) {
  std::vector<std::string> blocking;
  for (const json& patch : k8s::ItemsOf(patches)) {
    const std::string for_cluster = k8s::LabelOf(patch, platform::kClusterNameLabel);
    if (!for_cluster.empty() && for_cluster != cluster) continue;
    const std::string exempt = k8s::AnnotationOf(patch, kExemptForVersionAnnotation);
    if (exempt != target && exempt != MinorOf(target)) blocking.push_back(k8s::NameOf(patch));
  }
  return blocking;
}

absl::StatusOr<RequestOutcome> RequestUpgrade(k8s::RestClient& global,
                                              const UpgradeRequest& request) {
  ASSIGN_OR_RETURN(json cvsh, ReadShadow(global, request.cluster));
  const std::string current = platform::ClusterVersionShadowOf(cvsh).current_version;
  std::vector<std::pair<std::string, std::string>> available;  // version, image
  if (cvsh.contains("status") && cvsh["status"].contains("availableUpdates") &&
      cvsh["status"]["availableUpdates"].is_array()) {
    for (const json& update : cvsh["status"]["availableUpdates"]) {
      available.emplace_back(k8s::StringField(update, "version"),
                             k8s::StringField(update, "image"));
    }
  }
  std::vector<std::string> offered;
  for (const auto& [version, image] : available) offered.push_back(version);

  std::string to = request.to;
  if (request.latest) {
    if (available.empty()) {
      return absl::FailedPreconditionError(fmt::format(
          "cluster {} has no available updates{}: publish the target first (bash upgrade.sh "
          "--skip-sync-image), or wait for the CVO to list it",
          request.cluster, current.empty() ? "" : " beyond " + current));
    }
    to = available.front().first;
    for (const auto& [version, image] : available) {
      if (VersionLess(to, version)) to = version;
    }
  }
  if (to.empty()) return absl::InvalidArgumentError("give --to=<version> or --to-latest");
  if (!current.empty() && !VersionLess(current, to)) {
    return absl::FailedPreconditionError(fmt::format(
        "cluster {} is already at {}; {} is not an upgrade", request.cluster, current, to));
  }
  const bool listed = std::find(offered.begin(), offered.end(), to) != offered.end();
  if (!listed && !request.allow_explicit) {
    return absl::FailedPreconditionError(
        fmt::format("{} is not among the available updates of cluster {} ({}); pass "
                    "--allow-explicit-upgrade to request it anyway",
                    to, request.cluster, offered.empty() ? "none" : JoinNames(offered)));
  }
  if (request.cluster != platform::kGlobalCluster) {
    ASSIGN_OR_RETURN(platform::VersionReading global_version,
                     platform::ReadCurrentVersion(global, platform::kGlobalCluster));
    if (!global_version.version.empty() && VersionLess(global_version.version, to)) {
      return absl::FailedPreconditionError(
          fmt::format("the global cluster is at {}: upgrade it to {} before cluster {}",
                      global_version.version, to, request.cluster));
    }
  }
  if (request.cluster != platform::kGlobalCluster) {
    // §1 rule 6: at most kMaxParallelWorkloadUpgrades workload clusters at a time.
    auto shadows = global.List(platform::kClusterVersionShadows, platform::kPlatformNamespace);
    if (!shadows.ok()) return shadows.status();
    std::vector<std::string> upgrading;
    for (const json& other : k8s::ItemsOf(*shadows)) {
      const std::string name = k8s::NameOf(other);
      if (name == platform::kGlobalCluster || name == request.cluster) continue;
      const std::string state = StatusDocument(other, std::chrono::system_clock::now())["state"];
      if (state == "Progressing" || state == "Stalled") upgrading.push_back(name);
    }
    if (upgrading.size() >= kMaxParallelWorkloadUpgrades) {
      return absl::FailedPreconditionError(fmt::format(
          "{} workload clusters are upgrading already ({}); at most {} may upgrade at the same "
          "time: wait for one to finish",
          upgrading.size(), JoinNames(upgrading, 5), kMaxParallelWorkloadUpgrades));
    }
  }
  const std::string requested = platform::ClusterVersionShadowOf(cvsh).requested_version;
  const std::string desired = platform::ClusterVersionShadowOf(cvsh).desired_version;
  const bool running = k8s::ConditionStatus(cvsh, "Reconciling") == "True";
  if (requested == to) {
    return RequestOutcome{
        to, true,
        fmt::format("cluster {}: the upgrade to {} is already requested", request.cluster, to)};
  }
  if (running && !desired.empty() && desired != to && desired != current) {
    return absl::FailedPreconditionError(fmt::format(
        "cluster {} is upgrading to {}; wait for it (ac adm upgrade status --cluster {})",
        request.cluster, desired, request.cluster));
  }
  auto patches = global.List(platform::kResourcePatches, "");
  if (!patches.ok() && !absl::IsNotFound(patches.status())) {
    return absl::Status(
        patches.status().code(),
        fmt::format("cannot list the ResourcePatches on global: {}", patches.status().message()));
  }
  const std::vector<std::string> blocking =
      patches.ok() ? BlockingResourcePatches(*patches, request.cluster, to)
                   : std::vector<std::string>();
  if (!blocking.empty() && !request.acknowledge) {
    RequestOutcome waiting{to, false, "", blocking, true};
    waiting.message = fmt::format(
        "{} ResourcePatch(es) block the upgrade of cluster {} to {}: review them, then "
        "acknowledge (--acknowledge writes {}={} on each)",
        blocking.size(), request.cluster, to, kExemptForVersionAnnotation, to);
    return waiting;
  }
  for (const std::string& name : blocking) {
    auto annotated =
        global.MergePatch(platform::kResourcePatches, "", name,
                          {{"metadata", {{"annotations", {{kExemptForVersionAnnotation, to}}}}}});
    if (!annotated.ok()) {
      return absl::Status(
          annotated.status().code(),
          fmt::format("acknowledging ResourcePatch {} (annotation {}={}): {}", name,
                      kExemptForVersionAnnotation, to, annotated.status().message()));
    }
  }
  json update = {{"version", to}};
  for (const auto& [version, image] : available) {
    if (version == to && !image.empty()) update["image"] = image;
  }
  auto patched = global.MergePatch(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                                   request.cluster, {{"spec", {{"desiredUpdate", update}}}});
  if (!patched.ok()) return patched.status();
  RequestOutcome outcome{
      to, false,
      fmt::format("cluster {}: upgrade to {} requested{}; watch it with: ac adm upgrade status "
                  "--cluster {}",
                  request.cluster, to, listed ? "" : " (explicit: not in availableUpdates)",
                  request.cluster)};
  outcome.blocking = blocking;
  return outcome;
}

}  // namespace upgrade
