// What is installed where, read from the global cluster for `violet list` and `violet gc`:
// cluster plugins from ModuleInfo + ModulePlugin, operators from OperatorView records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace violet {

struct InstalledExtension {
  std::string name;  // plugin or operator package name
  std::string display_name;
  std::string type;       // "ModulePlugin" | "OperatorBundle"
  std::string lifecycle;  // "Core" | "Aligned" | "Agnostic"
  std::string cluster;
  std::string version;
};

struct PlatformRecords {
  nlohmann::json module_infos = nlohmann::json::array();  // items
  nlohmann::json module_plugins = nlohmann::json::array();
  nlohmann::json module_configs = nlohmann::json::array();
  nlohmann::json operator_views = nlohmann::json::array();
};

// Lists the four kinds on global (cluster-scoped). A kind the server does not serve is empty.
absl::StatusOr<PlatformRecords> ReadPlatformRecords(k8s::RestClient& global);

// Every installed plugin and operator. ModuleInfo: labels cpaas.io/module-name and
// cpaas.io/cluster-name, version status.version (else spec.version); the lifecycle is the
// ModulePlugin's cpaas.io/lifecycle-type label (missing: Agnostic). OperatorView (assumed
// schema, README): spec.operator, spec.cluster, spec.version, spec.displayName, same label.
std::vector<InstalledExtension> InstalledExtensions(const PlatformRecords& records);

// The §9.4 document for the Aligned/Agnostic extensions installed on `clusters` (all when
// empty): applications: <name>: {displayName, type, installed: [{clusterName, version}]}.
std::string ApplicationsYaml(const std::vector<InstalledExtension>& installed,
                             const std::vector<std::string>& clusters);

}  // namespace violet
