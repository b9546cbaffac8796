// `violet gc`'s decision, as a pure function of what the clusters hold: Artifacts of
// operators installed nowhere on their cluster, ArtifactVersions older than the installed
// version, ModulePlugins installed nowhere and ModuleConfigs older than every installed one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "violet/installed_extensions.h"

namespace violet {

struct GcItem {
  std::string type;  // "Artifact", "ArtifactVersion", "ModulePlugin", "ModuleConfig"
  std::string name;
  std::string cluster;
  std::string ns;  // empty for cluster-scoped kinds
};

struct ClusterArtifacts {
  std::string cluster;
  nlohmann::json artifacts = nlohmann::json::array();          // items
  nlohmann::json artifact_versions = nlohmann::json::array();  // items
};

// Core extensions are never collected. Operator artifacts are those with spec.type "bundle";
// the operator's name is the violet.cpaas.io/package-name label (else the name without
// "operatorhub-"). `plugins_on_global`: also collect ModulePlugins/ModuleConfigs.
std::vector<GcItem> PlanGc(const std::vector<ClusterArtifacts>& clusters,
                           const PlatformRecords& records, bool plugins_on_global);

// "GC Summary:" and the TYPE NAME CLUSTER table, or "No resources were deleted.".
std::string FormatGcSummary(const std::vector<GcItem>& items);

}  // namespace violet
