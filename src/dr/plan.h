// The DR procedures as ordered plans (acp-spec.md §5 upgrade, §8.7 failover and the
// re-enable on the old primary): each step names its cluster, its gates and, for steps
// only an operator can do, the instruction; rendered as text or JSON with journal state.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dr/journal.h"

namespace dr {

enum class Side { kPrimary, kStandby, kBoth, kNone };
const char* SideName(Side side);

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

struct PlanStep {
  PlanStep(std::string name, std::string title, Side side, std::vector<std::string> gates,
           bool manual = false, std::string instruction = "")
      : name(std::move(name)),
        title(std::move(title)),
        side(side),
        gates(std::move(gates)),
        manual(manual),
        instruction(std::move(instruction)) {}
  std::string name;   // stable id, used in the journal and by --confirm
  std::string title;  // one line for operators
  Side side = Side::kNone;
  std::vector<std::string> gates;  // what must hold for the step to pass
  bool manual = false;             // only an operator can do it; confirmed with --confirm
  std::string instruction;         // for manual steps: what to do
};

struct Plan {
  std::string operation;  // "upgrade", "failover", "reenable"
  std::string source_version;
  std::string target_version;
  PluginLocation plugin;
  std::vector<PlanStep> steps;
  std::vector<std::string> StepNames() const;
};

// §5: check, uninstall the plugin on its side, images to both registries, standby then
// primary (each verified), reinstall on the standby, wait for the sync, restart the leader,
// check again. Errors: a target not newer than the source, a source we cannot handle.
absl::StatusOr<Plan> BuildUpgradePlan(const std::string& source_version,
                                      const std::string& target_version);
// §8.7 steps 1-9 (the standby becomes the primary). `primary_lost`: the old primary is
// gone, so nothing is read from or done on it.
Plan BuildFailoverPlan(bool primary_lost);
// §8.7 step 10: the old primary becomes the new standby ("primary" is now the old standby).
Plan BuildReenablePlan();

// Text: a header and one line per step with its state from `journal` (may be null).
std::string RenderPlanText(const Plan& plan, const Journal* journal);
nlohmann::json RenderPlanJson(const Plan& plan, const Journal* journal);

}  // namespace dr
