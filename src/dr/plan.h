// The DR procedures as ordered plans (acp-spec.md §5 upgrade, §8.7 failover and the
// re-enable on the old primary): each step carries its cluster, its gates, its action and,
// for steps only an operator can do, the instruction; rendered as text or JSON with journal state.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dr/journal.h"
#include "dr/step.h"

namespace dr {

// Where the etcd Synchronizer plugin runs for a source version (§5 step 2): 3.18 ran
// "EtcdSync" on the primary; 4.0+ runs "etcd-sync" on the standby.
struct PluginLocation {
  Side side = Side::kStandby;
  std::string module_name;  // value of label cpaas.io/module-name
  std::string why;
};
absl::StatusOr<PluginLocation> PluginLocationFor(const std::string& source_version);

inline constexpr const char* kModuleNameLabel = "cpaas.io/module-name";
inline constexpr const char* kClusterNameLabel = "cpaas.io/cluster-name";
inline constexpr const char* kSyncModuleName = "etcd-sync";  // 4.0+

struct Plan {
  std::string operation;  // "upgrade", "failover", "reenable" (kept in the journal)
  std::string source_version;
  std::string target_version;
  PluginLocation plugin;
  std::vector<Step> steps;
  // Rewrites a journal saved by an older version of this plan into this one's steps before
  // it is resumed (upgrade: the image step that was two). Empty: nothing to rewrite.
  std::function<void(Journal&)> migrate_journal;
  std::vector<std::string> StepNames() const;
  const Step* Find(const std::string& name) const;
};

inline constexpr const char* kUpgrade = "upgrade";
inline constexpr const char* kFailover = "failover";
inline constexpr const char* kReenable = "reenable";
// Where an operation's journal is kept by default: dr-<operation>-journal.json in the current
// directory, and ConfigMap cpaas-system/dr-<operation>-journal.
std::string DefaultJournalFile(const std::string& operation);
std::string JournalConfigMap(const std::string& operation);
// The ConfigMap is on the primary; the failover's on the standby, which survives the old primary.
bool JournalOnStandby(const std::string& operation);

// §5: check, uninstall the plugin on its side, images to both registries, standby then
// primary (each verified), (4.3.1+: the token Secret and the bootstrap,) reinstall on the
// standby, wait for the sync, restart the leader, restart ES/VictoriaMetrics on the standby
// (§8.4), check again (4.3.1+: then remove the legacy plain-token configuration). Errors
// (InvalidArgument): a target not newer than the source, a source we cannot handle.
absl::StatusOr<Plan> BuildUpgradePlan(const std::string& source_version,
                                      const std::string& target_version);
// §8.7 steps 1-9 (the standby becomes the primary), in the documented order: the DNS check
// and the console check before the pod restarts, then warlock on the workload clusters.
// `primary_lost`: the old primary is gone, so nothing is read from or done on it. `domain`
// (--domain) goes into the printed nslookup command.
Plan BuildFailoverPlan(bool primary_lost, const std::string& domain = "");
// §8.7 step 10: the old primary becomes the new standby ("primary" is now the old standby).
Plan BuildReenablePlan();

// Every --confirm names a manual step of `plan`; InvalidArgument otherwise.
absl::Status CheckConfirmations(const Plan& plan, const std::vector<std::string>& confirmed);

// Text: a header and one line per step with its state from `journal` (may be null).
std::string RenderPlanText(const Plan& plan, const Journal* journal);
nlohmann::json RenderPlanJson(const Plan& plan, const Journal* journal);

}  // namespace dr
