// Requests an upgrade the way `ac adm upgrade --to/--to-latest` does: checks the target
// against the cvsh's availableUpdates and the ordering rules, then patches
// spec.desiredUpdate on ClusterVersionShadow cpaas-system/<cluster>.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace upgrade {

// §1 rule 6: workload clusters upgrading at the same time, at most.
inline constexpr size_t kMaxParallelWorkloadUpgrades = 20;

struct UpgradeRequest {
  std::string cluster = "global";
  std::string to;       // an explicit version, or
  bool latest = false;  // the newest available update
  // Skips only the client-side availableUpdates check (the version must still be newer, and
  // a workload cluster may not pass the global's version).
  bool allow_explicit = false;
};

struct RequestOutcome {
  std::string version;
  bool unchanged = false;  // the same request was already there
  std::string message;     // one line for the operator
};

// FailedPrecondition errors say why the request was refused and what to do: not offered (unless
// allow_explicit), not newer, a workload cluster beyond the global's version (rule 4) or a 21st
// workload cluster upgrading at once (rule 6), another upgrade running.
absl::StatusOr<RequestOutcome> RequestUpgrade(k8s::RestClient& global,
                                              const UpgradeRequest& request);

// ClusterVersionShadow cpaas-system/<cluster>; NotFound names the likely causes.
absl::StatusOr<nlohmann::json> ReadShadow(k8s::RestClient& global, const std::string& cluster);

}  // namespace upgrade
