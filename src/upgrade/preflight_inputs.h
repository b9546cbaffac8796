// Reads what the preflight checks look at from the global cluster and from the cluster being
// upgraded (see PreflightInputs for the list), through the Kubernetes REST client.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"
#include "upgrade/preflight_check.h"

namespace upgrade {

struct PreflightScope {
  std::string cluster = "global";
  std::string target_version;          // "" : for a workload cluster, the global's version
  std::string target_from;             // "release.yaml", "--to"
  k8s::RestClient* standby = nullptr;  // DR: the standby global cluster, when known
};

// Errors (other than NotFound, which means "none") name what could not be read.
absl::StatusOr<PreflightInputs> GatherPreflightInputs(k8s::RestClient& global,
                                                      k8s::RestClient& cluster,
                                                      const PreflightScope& scope);

}  // namespace upgrade
