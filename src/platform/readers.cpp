#include "platform/readers.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "k8s/json_fields.h"
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

namespace {

// A missing object (or resource type) is `null`; other errors name what could not be read.
absl::StatusOr<json> GetOrNull(k8s::RestClient& client, const k8s::ResourceRef& ref,
                               const std::string& ns, const std::string& name) {
  auto object = client.Get(ref, ns, name);
  if (absl::IsNotFound(object.status())) return json(nullptr);
  if (!object.ok()) {
    return absl::Status(object.status().code(),
                        fmt::format("cannot read {} {}{}: {}", ref.GroupResource(),
                                    ns.empty() ? "" : ns + "/", name, object.status().message()));
  }
  return *object;
}

}  // namespace

absl::StatusOr<VersionReading> ReadCurrentVersion(k8s::RestClient& global,
                                                  std::string_view cluster_name) {
  const std::string cluster(cluster_name.empty() ? kGlobalCluster : cluster_name);
  auto cvsh = GetOrNull(global, kClusterVersionShadows, kPlatformNamespace, cluster);
  if (!cvsh.ok()) return cvsh.status();
  if (std::string version = ClusterVersionShadowOf(*cvsh).current_version; !version.empty()) {
    return VersionReading{version,
                          fmt::format("ClusterVersionShadow {} status.current.version", cluster)};
  }
  if (cluster == kGlobalCluster) {
    auto base = GetOrNull(global, kProductBases, "", "base");
    if (!base.ok()) return base.status();
    if (std::string version = ProductBaseOf(*base).version; !version.empty()) {
      return VersionReading{version, "ProductBase base spec.version"};
    }
  }
  return VersionReading{};
}

}  // namespace platform
