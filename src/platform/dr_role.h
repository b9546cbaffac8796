// Which side of a global DR pair a cluster is: ConfigMap cpaas-system/global-dr-role,
// data.role "primary" or "standby". cpaas-system is not replicated by etcd-sync, so each
// global cluster keeps its own; `ac adm dr failover`/`reenable` write it, violet reads it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace platform {

inline constexpr const char* kDrRoleConfigMap = "global-dr-role";
inline constexpr const char* kDrRolePrimary = "primary";
inline constexpr const char* kDrRoleStandby = "standby";

// "primary", "standby", or "" when the cluster carries no marker.
absl::StatusOr<std::string> ReadDrRole(k8s::RestClient& cluster);

// Creates or updates the marker.
absl::Status WriteDrRole(k8s::RestClient& cluster, const std::string& role);

}  // namespace platform
