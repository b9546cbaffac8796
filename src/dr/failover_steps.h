// The failover's and the re-enable's own steps (§8.7 steps 5-10): checking that the platform
// domain resolves to the standby VIP, swapping the role markers, restarting the platform pods
// that cache the old primary, and installing the sync on the old primary.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dr/dr_context.h"
#include "dr/step.h"

namespace dr {

// service_name values restarted on the new primary (§8.7 step 8) and on the old one (step 9).
const std::vector<std::string>& NewPrimaryRestartServices();
inline const std::vector<std::string> kOldPrimaryRestartServices = {"warlock"};

// Deletes the pods labelled service_name=<each> in cpaas-system (their Deployments and
// StatefulSets re-create them); none found is not an error (the component is not installed).
absl::Status RestartPlatformPods(DrContext& context, StepRun& run, bool standby,
                                 const std::vector<std::string>& services);

// Records `role` ("primary"/"standby", platform/dr_role.h) on one side of the context: the
// failover swaps the markers once DNS points at the standby, the reenable restores them.
absl::Status MarkRole(DrContext& context, StepRun& run, bool standby_side, const char* role);

// With --domain: it must resolve (from here) to --standby-vip.
absl::Status VerifyDomainSwitched(DrContext& context, StepRun& run);

// The failover's switch-dns: the domain verified, then the standby marked primary and (unless
// `primary_lost`) the old primary marked standby.
absl::Status SwitchRoles(DrContext& context, StepRun& run, bool primary_lost);

// The re-enable's reinstall: marks the roles (the old primary, the context's standby, becomes
// this pair's standby) and re-creates the plugin there from --plugin-object, else from what
// the failover saved (its journal ConfigMap on the new primary, or its default file).
absl::Status ReinstallOnOldPrimary(DrContext& context, StepRun& run);

}  // namespace dr
