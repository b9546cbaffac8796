// The failover's own steps (§8.7 steps 5-9): checking that the platform domain resolves to
// the standby VIP, and restarting the platform pods that cache the old primary.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dr/dr_context.h"
#include "dr/runner.h"

namespace dr {

// service_name values restarted on the new primary (§8.7 step 8) and on the old one (step 9).
const std::vector<std::string>& NewPrimaryRestartServices();
inline const std::vector<std::string> kOldPrimaryRestartServices = {"warlock"};

// Deletes the pods labelled service_name=<each> in cpaas-system (their Deployments and
// StatefulSets re-create them); none found is not an error (the component is not installed).
absl::Status RestartPlatformPods(DrContext& context, StepRun& run, bool standby,
                                 const std::vector<std::string>& services, const std::string& step);

// Records `role` ("primary"/"standby", platform/dr_role.h) on one side of the context: the
// failover swaps the markers once DNS points at the standby, the reenable restores them.
absl::Status MarkRole(DrContext& context, StepRun& run, bool standby_side, const char* role);

// With --domain: it must resolve (from here) to --standby-vip.
absl::Status VerifyDomainSwitched(DrContext& context, StepRun& run);

}  // namespace dr
