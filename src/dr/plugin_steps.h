// The steps around the etcd Synchronizer plugin (§5 steps 1-2 and 6-7): the check gate,
// uninstall with its object saved to the journal, reinstall from it, wait for
// `Start Sync update`, restart the leader pod. Each can be rerun after a crash.
#pragma once

#include <nlohmann/json.hpp>

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

// The object as it can be created again: no status, no server-set metadata.
nlohmann::json ObjectForRecreate(const nlohmann::json& object);
// The label selector of the plugin's ModuleInfo on the global cluster.
std::string PluginSelector(const std::string& module_name);

}  // namespace dr
