// Typed views of the platform objects our tools read (ClusterVersionShadow, ModuleInfo,
// ProductBase, Cluster, Machine) and the one reading of the version a cluster runs. A view
// never throws: an absent or mistyped field reads as "".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace platform {

// Labels the platform puts on ModuleInfos, ModuleConfigs and ResourcePatches.
inline constexpr const char* kModuleNameLabel = "cpaas.io/module-name";
inline constexpr const char* kClusterNameLabel = "cpaas.io/cluster-name";

// ClusterVersionShadow <cluster> in cpaas-system (Era B upgrade control, §4.2).
struct ClusterVersionShadow {
  std::string current_version;    // status.current.version
  std::string desired_version;    // status.desired.version
  std::string requested_version;  // spec.desiredUpdate.version
};
ClusterVersionShadow ClusterVersionShadowOf(const nlohmann::json& cvsh);

// ModuleInfo: one installed module (plugin, operator, Kubernetes itself) on one cluster.
struct ModuleInfo {
  std::string name;            // metadata.name
  std::string module;          // label cpaas.io/module-name ("" when unlabelled)
  std::string cluster;         // label cpaas.io/cluster-name
  std::string spec_version;    // spec.version: what is asked for
  std::string status_version;  // status.version: what runs
  std::string phase;           // status.phase
};
ModuleInfo ModuleInfoOf(const nlohmann::json& info);

// ProductBase `base`: the platform's version and its registry.
struct ProductBase {
  std::string version;             // spec.version
  std::string registry_address;    // spec.registry.address
  bool registry_external = false;  // spec.registry.external: an operator-run registry
};
ProductBase ProductBaseOf(const nlohmann::json& base);

// Cluster (platform.tkestack.io): a cluster the platform manages.
struct Cluster {
  std::string name;
  std::string phase;    // status.phase
  std::string version;  // status.version (Kubernetes)
  std::string vip;      // spec.features.ha.thirdParty.vip, else spec.features.ha.tke.vip
};
Cluster ClusterOf(const nlohmann::json& cluster);

// Machine (platform.tkestack.io): one node of a cluster.
struct Machine {
  std::string name;
  std::string cluster;  // spec.clusterName
  std::string phase;    // status.phase
};
Machine MachineOf(const nlohmann::json& machine);

// Node (v1): what the upgrade's prerequisites read of one node.
struct Node {
  std::string name;
  std::string kernel;          // status.nodeInfo.kernelVersion ("5.14.0-362.el9.x86_64")
  std::string architecture;    // label kubernetes.io/arch, else status.nodeInfo.architecture
  bool control_plane = false;  // label node-role.kubernetes.io/control-plane (or /master)
};
Node NodeOf(const nlohmann::json& node);

// A plugin the platform installed somewhere: the ModuleInfo's module name (label
// cpaas.io/module-name) or its metadata.name contains one of `needles` (lowercase).
bool ModuleNamed(const ModuleInfo& module, const std::vector<std::string_view>& needles);

struct VersionReading {
  std::string version;  // "" unknown
  std::string from;     // "ClusterVersionShadow global status.current.version"
};

// The ACP version `cluster` runs, read from the global cluster: cvsh <cluster>
// status.current.version; for global without one, ProductBase base spec.version. Objects
// that do not exist mean "unknown"; other errors name what could not be read.
absl::StatusOr<VersionReading> ReadCurrentVersion(k8s::RestClient& global,
                                                  std::string_view cluster);

}  // namespace platform
