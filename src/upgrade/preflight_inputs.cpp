#include "upgrade/preflight_inputs.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "k8s/json_fields.h"
#include "k8s/read_or_absent.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/topolvm_steps.h"

namespace upgrade {
namespace {

using nlohmann::json;

using k8s::GetOrNull;
using k8s::ListOrEmpty;

absl::StatusOr<std::map<std::string, std::string>> ConfigMapData(k8s::RestClient& client,
                                                                 const std::string& name) {
  ASSIGN_OR_RETURN(json map,
                   GetOrNull(client, platform::kConfigMaps, platform::kPlatformNamespace, name));
  std::map<std::string, std::string> data;
  if (map.is_object() && map.contains("data") && map["data"].is_object()) {
    for (const auto& [key, value] : map["data"].items()) {
      if (value.is_string()) data[key] = value.get<std::string>();
    }
  }
  return data;
}

}  // namespace

absl::StatusOr<PreflightInputs> GatherPreflightInputs(k8s::RestClient& global,
                                                      k8s::RestClient& cluster,
                                                      const PreflightScope& scope) {
  PreflightInputs in;
  in.cluster = scope.cluster;
  ASSIGN_OR_RETURN(platform::VersionReading current,
                   platform::ReadCurrentVersion(global, scope.cluster));
  in.current_version = current.version;
  in.current_version_from = current.from;
  ASSIGN_OR_RETURN(platform::VersionReading global_current,
                   platform::ReadCurrentVersion(global, platform::kGlobalCluster));
  in.global_current_version = global_current.version;
  in.target_version = scope.target_version;
  in.target_version_from = scope.target_from;
  if (in.target_version.empty() && !in.global()) {
    in.target_version = global_current.version;
    in.target_version_from = "the global cluster's version";
  }
  if (scope.standby != nullptr) {
    ASSIGN_OR_RETURN(platform::VersionReading standby,
                     platform::ReadCurrentVersion(*scope.standby, platform::kGlobalCluster));
    in.standby_version = standby.version;
  }

  ASSIGN_OR_RETURN(in.cvsh, GetOrNull(global, platform::kClusterVersionShadows,
                                      platform::kPlatformNamespace, scope.cluster));
  ASSIGN_OR_RETURN(in.cluster_object, GetOrNull(global, platform::kClusters, "", scope.cluster));
  ASSIGN_OR_RETURN(in.clusters, ListOrEmpty(global, platform::kClusters, ""));
  ASSIGN_OR_RETURN(std::vector<json> machines, ListOrEmpty(global, platform::kMachines, ""));
  for (json& machine : machines) {
    if (platform::MachineOf(machine).cluster == scope.cluster) {
      in.machines.push_back(std::move(machine));
    }
  }
  ASSIGN_OR_RETURN(in.module_infos,
                   ListOrEmpty(global, platform::kModuleInfos, "",
                               std::string(platform::kClusterNameLabel) + "=" + scope.cluster));
  ASSIGN_OR_RETURN(in.resource_patches, ListOrEmpty(global, platform::kResourcePatches, ""));
  ASSIGN_OR_RETURN(in.admin_gates, ConfigMapData(global, "admin-gates"));
  ASSIGN_OR_RETURN(in.admin_acks, ConfigMapData(global, "admin-acks"));
  ASSIGN_OR_RETURN(in.license, GetOrNull(global, platform::kSecrets, platform::kPlatformNamespace,
                                         "platform-license"));

  // §2 prerequisites (preflight_prereq_checks.cpp).
  ASSIGN_OR_RETURN(in.all_module_infos, ListOrEmpty(global, platform::kModuleInfos, ""));
  ASSIGN_OR_RETURN(in.module_plugins, ListOrEmpty(global, platform::kModulePlugins, ""));
  ASSIGN_OR_RETURN(in.topolvm_versions,
                   ListOrEmpty(global, platform::kArtifactVersions, platform::kPlatformNamespace,
                               kTopolvmArtifactLabel));
  ASSIGN_OR_RETURN(in.istio_deployments,
                   ListOrEmpty(cluster, platform::kDeployments, "istio-system"));
  ASSIGN_OR_RETURN(in.elasticsearch_pods,
                   ListOrEmpty(cluster, platform::kPods, "", "service_name=cpaas-elasticsearch"));

  ASSIGN_OR_RETURN(in.nodes, ListOrEmpty(cluster, platform::kNodes, ""));
  ASSIGN_OR_RETURN(in.kube_system_pods, ListOrEmpty(cluster, platform::kPods, "kube-system"));
  ASSIGN_OR_RETURN(in.cri_upgrade_pods,
                   ListOrEmpty(cluster, platform::kPods, "", "app=cri-upgrade"));
  for (const char* ns : {platform::kPlatformNamespace, "kube-system"}) {
    ASSIGN_OR_RETURN(std::vector<json> cronjobs, ListOrEmpty(cluster, platform::kCronJobs, ns));
    for (json& cronjob : cronjobs) in.cronjobs.push_back(std::move(cronjob));
  }
  in.now = std::chrono::system_clock::now();
  return in;
}

}  // namespace upgrade
