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

// service_name values restarted on the new primary (§8.7 step 8), on the standby once the sync
// is enabled (§8.4: Elasticsearch and VictoriaMetrics), and on workload clusters (step 9).
const std::vector<std::string>& NewPrimaryRestartServices();
const std::vector<std::string>& StandbyRestartServices();
inline const std::vector<std::string> kWorkloadRestartServices = {"warlock"};

// §8.7 step 6, the command the operator runs on the new primary (pod exec is out of our
// client's reach); `domain` empty: "<domain>".
std::string DnsCheckCommand(const std::string& domain);
// The check-dns step: confirmed by the operator; with --restart-coredns (the nslookup was
// wrong) it deletes the coredns pods (kube-system, k8s-app=kube-dns) on the new primary and
// blocks until the operator checks again.
absl::Status CheckDnsStep(DrContext& context, StepRun& run);

// §8.7 step 9, our reading: every workload cluster the new primary lists (Cluster objects
// other than global) sends monitoring data to the global cluster, i.e. to the old primary;
// warlock is restarted on each, reached through the new primary's platform proxy. Clusters
// that cannot be reached fail the step, naming them and the command to run there.
absl::Status RestartWarlockOnWorkloads(DrContext& context, StepRun& run);

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
