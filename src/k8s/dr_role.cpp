#include "k8s/dr_role.h"

#include "k8s/platform_resources.h"

namespace k8s {

absl::StatusOr<std::string> ReadDrRole(RestClient& cluster) {
  auto map = cluster.Get(acp::kConfigMaps, acp::kPlatformNamespace, kDrRoleConfigMap);
  if (absl::IsNotFound(map.status())) return std::string();
  if (!map.ok()) return map.status();
  return map->value("data", nlohmann::json::object()).value("role", "");
}

absl::Status WriteDrRole(RestClient& cluster, const std::string& role) {
  const nlohmann::json data = {{"role", role}};
  auto patched = cluster.MergePatch(acp::kConfigMaps, acp::kPlatformNamespace, kDrRoleConfigMap,
                                    {{"data", data}});
  if (patched.ok() || !absl::IsNotFound(patched.status())) return patched.status();
  auto created = cluster.Create(
      acp::kConfigMaps, acp::kPlatformNamespace,
      {{"apiVersion", "v1"},
       {"kind", "ConfigMap"},
       {"metadata", {{"name", kDrRoleConfigMap}, {"namespace", acp::kPlatformNamespace}}},
       {"data", data}});
  return created.status();
}

}  // namespace k8s
