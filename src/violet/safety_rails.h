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

// Era A (4.0-4.2, no CVO): the Functional Components dialog sets spec.version of the global
// cluster's ModuleInfos and the platform moves status.version after it. Our reading of "a
// global upgrade is running" there: some ModuleInfo labelled cpaas.io/cluster-name=global asks
// for a version it does not run yet. `moduleinfos` is a List (items); empty when none moves.
std::string ComponentsMovingReason(const nlohmann::json& moduleinfos);

// Reads cvsh cpaas-system/global (Era B; a missing cvsh is "not in progress"), then the global
// cluster's ModuleInfos (Era A, ComponentsMovingReason). Empty when neither shows an upgrade.
absl::StatusOr<std::string> GlobalUpgradeInProgress(k8s::RestClient& global);

// The names in `clusters` other than "global".
std::vector<std::string> WorkloadClusters(const std::vector<std::string>& clusters);

}  // namespace violet
