// Triggers the upgrade on the global cluster (upgrade.sh --skip-sync-image): publishes the
// package's version as a ProductManifest and deploys the CVO with the release's image.
// Re-running changes nothing that is already right ("unchanged").
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"
#include "upgrade/release_manifest.h"

namespace upgrade {

inline constexpr const char* kCvoName = "cluster-version-operator";

// One line per object: "ProductManifest acp-4.3.0: created|updated|unchanged", the
// Deployment cpaas-system/cluster-version-operator, and ClusterVersionShadow
// cpaas-system/global (created with status.current.version from ProductBase base when the
// platform has none yet, so the CVO has a record to work on). Images are
// "<registry>/<repository:tag>".
absl::StatusOr<std::vector<std::string>> TriggerUpgrade(k8s::RestClient& global,
                                                        const ReleaseManifest& release,
                                                        const std::string& registry);

}  // namespace upgrade
