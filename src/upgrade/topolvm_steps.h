// The TopoLVM steps around a cluster upgrade from 3.18 (acp-spec.md §4.1 steps 5 and 7, §6):
// before, save and delete the TopoLVM ArtifactVersion and delete the migrate-catalog-updater
// ModuleInfo; after, re-create the saved ArtifactVersion. The file survives a crash.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace upgrade {

inline constexpr const char* kTopolvmArtifactLabel =
    "cpaas.io/artifact-version=operatorhub-topolvm-operator";
inline constexpr const char* kTopolvmCatalogUpdater = "topolvm-migrate-catalog-updater";

struct TopolvmScope {
  std::string cluster;         // the cluster being upgraded
  std::string source_version;  // its version before the upgrade (steps apply from 3.18)
  std::string target_version;  // the ArtifactVersion's name must contain its major.minor
  std::string state_dir;       // where topolvm-artifact-<cluster>.yaml is kept
  // True when this run moves components off the source version (a Kubernetes-only run, or a
  // run after the restore, must not take TopoLVM away again).
  bool leaves_source = true;
};

std::string TopolvmSavePath(const TopolvmScope& scope);

// Before the upgrade. Nothing to do (one line saying why) unless the source is 3.18, the run
// moves components off it, and the cluster has a TopoLVM ArtifactVersion in cpaas-system (label
// above, name containing the target minor). The object is written to the save file (atomically)
// before it is deleted; a save file left by an earlier run is kept and its deletion finished.
absl::StatusOr<std::vector<std::string>> TopolvmBeforeUpgrade(k8s::RestClient& global,
                                                              k8s::RestClient& cluster,
                                                              const TopolvmScope& scope);

// After the upgrade: re-creates the saved ArtifactVersion (already there is fine), then
// removes the save file. No save file: nothing to do.
absl::StatusOr<std::vector<std::string>> TopolvmAfterUpgrade(k8s::RestClient& cluster,
                                                             const TopolvmScope& scope);

}  // namespace upgrade
