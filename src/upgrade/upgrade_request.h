// Requests an upgrade the way `ac adm upgrade --to/--to-latest` does: checks the target
// against the cvsh's availableUpdates and the ordering rules, then patches
// spec.desiredUpdate on ClusterVersionShadow cpaas-system/<cluster>.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
  // The console's step 1 ("RPCH list -> Acknowledge", §4.2 step 4) answered yes: the
  // ResourcePatches that block the target get config.cpaas.io/exempt-for-ver=<target>.
  bool acknowledge = false;
};

struct RequestOutcome {
  std::string version;
  bool unchanged = false;  // the same request was already there
  std::string message;     // one line for the operator
  // ResourcePatches that block `version` (BlockingResourcePatches). Without `acknowledge`
  // and with some listed, nothing was requested: `needs_acknowledge`.
  std::vector<std::string> blocking = {};
  bool needs_acknowledge = false;
};

inline constexpr const char* kExemptForVersionAnnotation = "config.cpaas.io/exempt-for-ver";

// Our reading of the RPCH list: the ResourcePatches (a List) that apply to `cluster` (no
// cpaas.io/cluster-name label, or that cluster's) and carry no exempt-for-ver annotation equal
// to `target` or its major.minor: the same rule as the preflight's ResourcePatchUpgradeable.
std::vector<std::string> BlockingResourcePatches(const nlohmann::json& patches,
                                                 const std::string& cluster,
                                                 const std::string& target);

// FailedPrecondition errors say why the request was refused and what to do: not offered (unless
// allow_explicit), not newer, a workload cluster beyond the global's version (rule 4) or a 21st
// workload cluster upgrading at once (rule 6), another upgrade running.
absl::StatusOr<RequestOutcome> RequestUpgrade(k8s::RestClient& global,
                                              const UpgradeRequest& request);

// ClusterVersionShadow cpaas-system/<cluster>; NotFound names the likely causes.
absl::StatusOr<nlohmann::json> ReadShadow(k8s::RestClient& global, const std::string& cluster);

}  // namespace upgrade
