// The steps around the etcd Synchronizer plugin (§5 steps 1-2 and 6-7): the check gate,
// uninstall with its object saved to the journal, reinstall from it, wait for
// `Start Sync update`, restart the leader pod. Each can be rerun after a crash.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dr/cluster_checks.h"
#include "dr/dr_context.h"
#include "dr/plan.h"
#include "dr/step.h"

namespace dr {

// The check as a step: FailedPrecondition listing every blocker and what to do.
absl::Status CheckGateStep(DrContext& context, StepRun& run, const CheckScope& scope);

absl::Status UninstallSyncPlugin(DrContext& context, StepRun& run, const PluginLocation& where);
// Re-creates the saved plugin on the standby (a 3.18 EtcdSync object becomes the 4.0+
// etcd-sync plugin there). `fallback`: the object to use when the journal holds none.
absl::Status ReinstallSyncPlugin(DrContext& context, StepRun& run, const nlohmann::json& fallback);
absl::Status WaitSyncStart(DrContext& context, StepRun& run);
absl::Status RestartSyncLeader(DrContext& context, StepRun& run);

// 4.3.1+ (§8.3): the sync authenticates to the active API with the token in Secret
// cpaas-system/etcd-sync-active-cluster-token on the standby.
inline constexpr const char* kActiveTokenSecret = "etcd-sync-active-cluster-token";
bool NeedsActiveToken(const std::string& version);
// The version the token rule is decided on: --to, else what the active cluster runs.
absl::StatusOr<std::string> TokenRuleVersion(DrContext& context);

// §8.3 / §5 step 6 (4.3.1+): Secret etcd-sync-active-cluster-token (key `token`) on the
// standby from Secret cpaas-system/k8sadmin on the active cluster (created, updated or
// unchanged; the token is never printed), then the bootstrap (src/bootstrap) when the
// plugin's config names its active-global-vip (else the plugin's Job etcd-sync-bootstrap does
// it on install, §8.4). Below 4.3.1: nothing to do.
absl::Status CreateActiveToken(DrContext& context, StepRun& run);

// §5 step 8 (4.3.1+, after the final check verified the pair): the legacy plain-token fields
// of the plugin's spec.config (our reading: keys in LegacyTokenKeys) are removed from the
// standby's plugin ModuleInfo and from the journal's saved copy.
const std::vector<std::string>& LegacyTokenKeys();
absl::Status RemoveLegacyToken(DrContext& context, StepRun& run);

// §8.7 step 10: the plugin object saved on the old standby pointed its sync at the old
// primary (spec.config active-global-vip, source-endpoints). For the reversed direction they
// become `active_vip` and `source_endpoints` (comma-joined; default https://<vip>:2379, the
// VIP's 2379 forwarding). A config naming neither key is returned unchanged; one that names
// them without new values is FailedPrecondition naming the flags. `note`: what changed.
absl::StatusOr<nlohmann::json> ReversedPluginConfig(
    const nlohmann::json& plugin, const std::string& active_vip,
    const std::vector<std::string>& source_endpoints, std::string* note);

// The object as it can be created again: no status, no server-set metadata.
nlohmann::json ObjectForRecreate(const nlohmann::json& object);
// The label selector of the plugin's ModuleInfo on the global cluster.
std::string PluginSelector(const std::string& module_name);

}  // namespace dr
