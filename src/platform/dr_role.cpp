#include "platform/dr_role.h"

#include "platform/resources.h"

namespace platform {

absl::StatusOr<std::string> ReadDrRole(k8s::RestClient& cluster) {
  auto map = cluster.Get(kConfigMaps, kPlatformNamespace, kDrRoleConfigMap);
  if (absl::IsNotFound(map.status())) return std::string();
  if (!map.ok()) return map.status();
  return map->value("data", nlohmann::json::object()).value("role", "");
}

absl::Status WriteDrRole(k8s::RestClient& cluster, const std::string& role) {
  const nlohmann::json data = {{"role", role}};
  auto patched =
      cluster.MergePatch(kConfigMaps, kPlatformNamespace, kDrRoleConfigMap, {{"data", data}});
  if (patched.ok() || !absl::IsNotFound(patched.status())) return patched.status();
  auto created =
      cluster.Create(kConfigMaps, kPlatformNamespace,
                     {{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", kDrRoleConfigMap}, {"namespace", kPlatformNamespace}}},
                      {"data", data}});
  return created.status();
}

}  // namespace platform
