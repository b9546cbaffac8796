#include "upgrade/preflight_inputs.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "k8s/platform_resources.h"
#include "upgrade/json_fields.h"

namespace upgrade {
namespace {

namespace acp = k8s::acp;
using nlohmann::json;

// A missing object is `null`; other errors are returned.
absl::StatusOr<json> GetOrNull(k8s::RestClient& client, const k8s::ResourceRef& ref,
                               const std::string& ns, const std::string& name) {
  auto object = client.Get(ref, ns, name);
  if (absl::IsNotFound(object.status())) return json(nullptr);
  if (!object.ok()) {
    return absl::Status(object.status().code(),
                        fmt::format("preflight: cannot read {} {}{}: {}", ref.GroupResource(),
                                    ns.empty() ? "" : ns + "/", name, object.status().message()));
  }
  return *object;
}

// A resource type the cluster does not serve (404) has no items.
absl::StatusOr<std::vector<json>> ListOrEmpty(k8s::RestClient& client, const k8s::ResourceRef& ref,
                                              const std::string& ns,
                                              const std::string& selector = "") {
  auto list = client.List(ref, ns, selector);
  if (absl::IsNotFound(list.status())) return std::vector<json>();
  if (!list.ok()) {
    return absl::Status(list.status().code(),
                        fmt::format("preflight: cannot list {}{}: {}", ref.GroupResource(),
                                    ns.empty() ? "" : " in " + ns, list.status().message()));
  }
  return ItemsOf(*list);
}

absl::StatusOr<std::map<std::string, std::string>> ConfigMapData(k8s::RestClient& client,
                                                                 const std::string& name) {
  ASSIGN_OR_RETURN(json map, GetOrNull(client, acp::kConfigMaps, acp::kPlatformNamespace, name));
  std::map<std::string, std::string> data;
  if (map.is_object() && map.contains("data") && map["data"].is_object()) {
    for (const auto& [key, value] : map["data"].items()) {
      if (value.is_string()) data[key] = value.get<std::string>();
    }
  }
  return data;
}

}  // namespace

absl::StatusOr<VersionReading> ReadCurrentVersion(k8s::RestClient& global,
                                                  const std::string& cluster) {
  ASSIGN_OR_RETURN(
      json cvsh, GetOrNull(global, acp::kClusterVersionShadows, acp::kPlatformNamespace, cluster));
  if (std::string version = StringAt(cvsh, "/status/current/version"); !version.empty()) {
    return VersionReading{version,
                          fmt::format("ClusterVersionShadow {} status.current.version", cluster)};
  }
  if (cluster == acp::kGlobalCluster) {
    ASSIGN_OR_RETURN(json base, GetOrNull(global, acp::kProductBases, "", "base"));
    if (std::string version = StringAt(base, "/spec/version"); !version.empty()) {
      return VersionReading{version, "ProductBase base spec.version"};
    }
  }
  return VersionReading{};
}

absl::StatusOr<PreflightInputs> GatherPreflightInputs(k8s::RestClient& global,
                                                      k8s::RestClient& cluster,
                                                      const PreflightScope& scope) {
  PreflightInputs in;
  in.cluster = scope.cluster;
  ASSIGN_OR_RETURN(VersionReading current, ReadCurrentVersion(global, scope.cluster));
  in.current_version = current.version;
  in.current_version_from = current.from;
  ASSIGN_OR_RETURN(VersionReading global_current, ReadCurrentVersion(global, acp::kGlobalCluster));
  in.global_current_version = global_current.version;
  in.target_version = scope.target_version;
  in.target_version_from = scope.target_from;
  if (in.target_version.empty() && !in.global()) {
    in.target_version = global_current.version;
    in.target_version_from = "the global cluster's version";
  }
  if (scope.standby != nullptr) {
    ASSIGN_OR_RETURN(VersionReading standby,
                     ReadCurrentVersion(*scope.standby, acp::kGlobalCluster));
    in.standby_version = standby.version;
  }

  ASSIGN_OR_RETURN(in.cvsh, GetOrNull(global, acp::kClusterVersionShadows, acp::kPlatformNamespace,
                                      scope.cluster));
  ASSIGN_OR_RETURN(in.cluster_object, GetOrNull(global, acp::kClusters, "", scope.cluster));
  ASSIGN_OR_RETURN(in.clusters, ListOrEmpty(global, acp::kClusters, ""));
  ASSIGN_OR_RETURN(std::vector<json> machines, ListOrEmpty(global, acp::kMachines, ""));
  for (json& machine : machines) {
    if (StringAt(machine, "/spec/clusterName") == scope.cluster) {
      in.machines.push_back(std::move(machine));
    }
  }
  ASSIGN_OR_RETURN(in.module_infos, ListOrEmpty(global, acp::kModuleInfos, "",
                                                "cpaas.io/cluster-name=" + scope.cluster));
  ASSIGN_OR_RETURN(in.resource_patches, ListOrEmpty(global, acp::kResourcePatches, ""));
  ASSIGN_OR_RETURN(in.admin_gates, ConfigMapData(global, "admin-gates"));
  ASSIGN_OR_RETURN(in.admin_acks, ConfigMapData(global, "admin-acks"));
  ASSIGN_OR_RETURN(in.license,
                   GetOrNull(global, acp::kSecrets, acp::kPlatformNamespace, "platform-license"));

  ASSIGN_OR_RETURN(in.nodes, ListOrEmpty(cluster, acp::kNodes, ""));
  ASSIGN_OR_RETURN(in.kube_system_pods, ListOrEmpty(cluster, acp::kPods, "kube-system"));
  ASSIGN_OR_RETURN(in.cri_upgrade_pods, ListOrEmpty(cluster, acp::kPods, "", "app=cri-upgrade"));
  for (const char* ns : {acp::kPlatformNamespace, "kube-system"}) {
    ASSIGN_OR_RETURN(std::vector<json> cronjobs, ListOrEmpty(cluster, acp::kCronJobs, ns));
    for (json& cronjob : cronjobs) in.cronjobs.push_back(std::move(cronjob));
  }
  in.now = std::chrono::system_clock::now();
  return in;
}

}  // namespace upgrade
