// The checks that read the platform's records on the global cluster: ResourcePatches, the
// Cluster and its Machines, the cluster's ModuleInfos, the license.
#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "common/base64.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "upgrade/name_list.h"
#include "upgrade/preflight_check.h"
#include "upgrade/version_rules.h"

namespace upgrade {

using nlohmann::json;

// Reads: every ResourcePatch (cluster-scoped) on global; one labelled
// cpaas.io/cluster-name for another cluster is skipped. Each must carry the annotation
// config.cpaas.io/exempt-for-ver=<target version> (or its major.minor), else Failed with
// reason UnexemptResourcePatches (§3).
CheckResult ResourcePatchUpgradeable(const PreflightInputs& in) {
  const std::string name = "ResourcePatchUpgradeable";
  if (in.target_version.empty() && !in.resource_patches.empty()) {
    return Retry(name, "TargetVersionUnknown", "no target version to compare exemptions with");
  }
  std::vector<std::string> unexempt;
  size_t considered = 0;
  for (const json& patch : in.resource_patches) {
    const std::string for_cluster = k8s::LabelOf(patch, platform::kClusterNameLabel);
    if (!for_cluster.empty() && for_cluster != in.cluster) continue;
    ++considered;
    const std::string exempt = k8s::AnnotationOf(patch, "config.cpaas.io/exempt-for-ver");
    if (exempt != in.target_version && exempt != MinorOf(in.target_version)) {
      unexempt.push_back(k8s::NameOf(patch));
    }
  }
  if (!unexempt.empty()) {
    return Failed(
        name, "UnexemptResourcePatches",
        fmt::format("ResourcePatches not exempted for {}: {} — review each, then: "
                    "kubectl annotate resourcepatch {} config.cpaas.io/exempt-for-ver={}",
                    in.target_version, JoinNames(unexempt), unexempt.front(), in.target_version));
  }
  return Passed(name, considered == 0 ? "no ResourcePatches"
                                      : fmt::format("{} ResourcePatches exempted for {}",
                                                    considered, in.target_version));
}

// Reads: Cluster platform.tkestack.io <cluster> status.phase and every Machine
// (platform.tkestack.io) with spec.clusterName=<cluster>, status.phase. All must be Running
// (§5: fix any machine that is not running before going on).
CheckResult ClusterRunning(const PreflightInputs& in) {
  const std::string name = "ClusterRunning";
  if (in.cluster_object.is_null()) {
    return Failed(name, "ClusterNotFound",
                  fmt::format("no Cluster {} (platform.tkestack.io) on the global cluster — "
                              "check --cluster",
                              in.cluster));
  }
  const std::string phase = platform::ClusterOf(in.cluster_object).phase;
  if (phase != "Running") {
    return Failed(
        name, "ClusterNotRunning",
        fmt::format("Cluster {} is {}", in.cluster, phase.empty() ? "without a phase" : phase));
  }
  std::vector<std::string> not_running;
  for (const json& machine : in.machines) {
    const platform::Machine view = platform::MachineOf(machine);
    if (view.phase != "Running") {
      not_running.push_back(
          fmt::format("{} ({})", view.name, view.phase.empty() ? "no phase" : view.phase));
    }
  }
  if (!not_running.empty()) {
    return Failed(name, "MachinesNotRunning",
                  fmt::format("Machines not Running: {} — kubectl get "
                              "machines.platform.tkestack.io and fix them first",
                              JoinNames(not_running)));
  }
  return Passed(name, fmt::format("Cluster {} and its {} Machines are Running", in.cluster,
                                  in.machines.size()));
}

// Reads: the ModuleInfos of the cluster (label cpaas.io/cluster-name). Stable: none is
// moving, i.e. status.version equals spec.version. A module still moving is Retry (it
// settles by itself; run the preflight again).
CheckResult ClusterModuleStable(const PreflightInputs& in) {
  const std::string name = "ClusterModuleStable";
  std::vector<std::string> moving;
  for (const json& info : in.module_infos) {
    const platform::ModuleInfo module = platform::ModuleInfoOf(info);
    const std::string& want = module.spec_version;
    const std::string& have = module.status_version;
    if (want != have) {
      moving.push_back(fmt::format("{} ({} -> {})",
                                   module.module.empty() ? module.name : module.module,
                                   have.empty() ? "none" : have, want));
    }
  }
  if (!moving.empty()) {
    return Retry(name, "ModulesUpgrading",
                 fmt::format("modules still changing version: {}", JoinNames(moving)));
  }
  return Passed(name,
                fmt::format("{} modules at their requested versions", in.module_infos.size()));
}

// Reads: the ModuleInfos of the cluster, status.phase. Every module must be Running; a
// failed or pending one is fixed (or uninstalled) before the upgrade.
CheckResult ModuleInfoStable(const PreflightInputs& in) {
  const std::string name = "ModuleInfoStable";
  std::vector<std::string> unhealthy;
  for (const json& info : in.module_infos) {
    const platform::ModuleInfo module = platform::ModuleInfoOf(info);
    if (module.phase != "Running") {
      unhealthy.push_back(
          fmt::format("{} ({})", module.name, module.phase.empty() ? "no phase" : module.phase));
    }
  }
  if (!unhealthy.empty()) {
    return Failed(name, "ModuleInfoNotRunning",
                  fmt::format("ModuleInfos not Running: {} — kubectl get minfo -l "
                              "cpaas.io/cluster-name={}",
                              JoinNames(unhealthy), in.cluster));
  }
  return Passed(name, fmt::format("{} ModuleInfos Running", in.module_infos.size()));
}

namespace {

// "2027-01-31T00:00:00Z" -> time point; nullopt when not RFC 3339 UTC.
std::optional<std::chrono::system_clock::time_point> ParseUtc(const std::string& text) {
  std::tm tm = {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || (*end != 'Z' && *end != '\0')) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

// Reads: Secret cpaas-system/platform-license on global, data.notAfter (RFC 3339 UTC,
// base64 as Secret data is). Missing, unreadable or expired: Failed (the upgraded platform
// would come up unlicensed).
CheckResult PlatformLicense(const PreflightInputs& in) {
  const std::string name = "PlatformLicense";
  if (in.license.is_null()) {
    return Failed(name, "LicenseMissing",
                  "no Secret cpaas-system/platform-license: import the platform license first");
  }
  auto not_after = common::DecodeBase64(k8s::StringAt(in.license, "/data/notAfter"));
  std::optional<std::chrono::system_clock::time_point> until;
  if (not_after) until = ParseUtc(*not_after);
  if (!until) {
    return Failed(name, "LicenseUnreadable",
                  "Secret cpaas-system/platform-license has no data.notAfter (RFC 3339, e.g. "
                  "2027-01-31T00:00:00Z)");
  }
  if (*until <= in.now) {
    return Failed(name, "LicenseExpired",
                  fmt::format("the platform license expired at {}: renew it first", *not_after));
  }
  return Passed(name, fmt::format("licensed until {}", *not_after));
}

}  // namespace upgrade
