// The DR upgrade's own steps (§5 steps 3-5): the package's images into one cluster's
// registry, one global cluster's upgrade (upgrade.sh --skip-sync-image, then the request on
// cvsh global, watched to Completed), and its verification.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dr/dr_context.h"
#include "dr/step.h"

namespace dr {

absl::Status SyncImages(DrContext& context, StepRun& run, bool standby);

// §5 step 3 for both clusters at once: one `upgrade.sh --only-sync-image --registry <standby>
// --registry <primary>` (images read once, pushed to both in parallel; each side's login
// through a private auth file). Resumable per registry: notes.done lists the sides finished,
// a rerun pushes only the others. Registries that differ in --plain/--insecure go one by one.
inline constexpr const char* kSyncImagesStep = "sync-images";
absl::Status SyncImagesBoth(DrContext& context, StepRun& run);
// A journal written when the image step was two (sync-images-standby, sync-images-primary)
// gets the one step in their place, keeping which side was done; other journals are unchanged.
void MergeImageSteps(Journal& journal);
absl::Status UpgradeCluster(DrContext& context, StepRun& run, bool standby);
absl::Status VerifyCluster(DrContext& context, StepRun& run, bool standby);

// What the cvsh says about a requested upgrade to `version`.
struct UpgradeProgress {
  bool completed = false;
  bool stalled = false;
  std::string stalled_message;
  std::string stages;  // "Core Finished, Aligned Running, Kubernetes Pending"
};
UpgradeProgress ReadUpgradeProgress(const nlohmann::json& cvsh, const std::string& version);

// upgrade.sh's registry flags for one registry (the password goes to stdin).
std::vector<std::string> RegistryFlags(const RegistryTarget& registry);

}  // namespace dr
