// The checks violet makes before it writes: no custom resources on workload clusters while
// the global cluster's upgrade runs, and a warning when a standby's images would go elsewhere.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace violet {

// Why the global ClusterVersionShadow says an upgrade is in progress (history[0].state
// Partial, or a stage Running); empty when it is not.
std::string UpgradeInProgressReason(const nlohmann::json& cvsh);

// Reads cvsh cpaas-system/global; a missing cvsh is "not in progress" (empty).
absl::StatusOr<std::string> GlobalUpgradeInProgress(k8s::RestClient& global);

// The names in `clusters` other than "global".
std::vector<std::string> WorkloadClusters(const std::vector<std::string>& clusters);

}  // namespace violet
