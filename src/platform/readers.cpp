#include "platform/readers.h"

#include <fmt/format.h>

#include <cctype>

#include "common/absl_fmt.h"
#include "k8s/json_fields.h"
#include "k8s/read_or_absent.h"
#include "platform/resources.h"

namespace platform {

using k8s::StringAt;
using nlohmann::json;

ClusterVersionShadow ClusterVersionShadowOf(const json& cvsh) {
  return {StringAt(cvsh, "/status/current/version"), StringAt(cvsh, "/status/desired/version"),
          StringAt(cvsh, "/spec/desiredUpdate/version")};
}

ModuleInfo ModuleInfoOf(const json& info) {
  return {k8s::NameOf(info),
          k8s::LabelOf(info, kModuleNameLabel),
          k8s::LabelOf(info, kClusterNameLabel),
          StringAt(info, "/spec/version"),
          StringAt(info, "/status/version"),
          StringAt(info, "/status/phase")};
}

ProductBase ProductBaseOf(const json& base) {
  ProductBase out;
  out.version = StringAt(base, "/spec/version");
  out.registry_address = StringAt(base, "/spec/registry/address");
  const json::json_pointer external("/spec/registry/external");
  out.registry_external = base.is_object() && base.contains(external) &&
                          base.at(external).is_boolean() && base.at(external).get<bool>();
  return out;
}

Cluster ClusterOf(const json& cluster) {
  Cluster out{k8s::NameOf(cluster), StringAt(cluster, "/status/phase"),
              StringAt(cluster, "/status/version"),
              StringAt(cluster, "/spec/features/ha/thirdParty/vip")};
  if (out.vip.empty()) out.vip = StringAt(cluster, "/spec/features/ha/tke/vip");
  return out;
}

Machine MachineOf(const json& machine) {
  return {k8s::NameOf(machine), StringAt(machine, "/spec/clusterName"),
          StringAt(machine, "/status/phase")};
}

Node NodeOf(const json& node) {
  Node out{k8s::NameOf(node), StringAt(node, "/status/nodeInfo/kernelVersion"),
           k8s::LabelOf(node, "kubernetes.io/arch"), false};
  if (out.architecture.empty()) out.architecture = StringAt(node, "/status/nodeInfo/architecture");
  const json::json_pointer labels("/metadata/labels");
  if (node.is_object() && node.contains(labels) && node.at(labels).is_object()) {
    out.control_plane = node.at(labels).contains("node-role.kubernetes.io/control-plane") ||
                        node.at(labels).contains("node-role.kubernetes.io/master");
  }
  return out;
}

bool ModuleNamed(const ModuleInfo& module, const std::vector<std::string_view>& needles) {
  for (std::string name : {module.module, module.name}) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view needle : needles) {
      if (name.find(needle) != std::string::npos) return true;
    }
  }
  return false;
}

absl::StatusOr<VersionReading> ReadCurrentVersion(k8s::RestClient& global,
                                                  std::string_view cluster_name) {
  const std::string cluster(cluster_name.empty() ? kGlobalCluster : cluster_name);
  auto cvsh = k8s::GetOrNull(global, kClusterVersionShadows, kPlatformNamespace, cluster);
  if (!cvsh.ok()) return cvsh.status();
  if (std::string version = ClusterVersionShadowOf(*cvsh).current_version; !version.empty()) {
    return VersionReading{version,
                          fmt::format("ClusterVersionShadow {} status.current.version", cluster)};
  }
  if (cluster == kGlobalCluster) {
    auto base = k8s::GetOrNull(global, kProductBases, "", "base");
    if (!base.ok()) return base.status();
    if (std::string version = ProductBaseOf(*base).version; !version.empty()) {
      return VersionReading{version, "ProductBase base spec.version"};
    }
  }
  return VersionReading{};
}

}  // namespace platform
