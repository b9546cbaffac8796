// One step of a DR procedure: what it is (its journal name, the cluster it touches, its
// gates, the instruction when only an operator can do it) and the action that does or checks it.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dr/journal.h"

namespace dr {

class DrContext;

// kWorkloads: the workload clusters, reached through the new primary's platform proxy.
enum class Side { kPrimary, kStandby, kBoth, kWorkloads, kNone };
const char* SideName(Side side);

// What a running step's action gets: the journal (to keep facts for its resumption) and a
// way to save it mid-step (e.g. the plugin's object before it is deleted).
struct StepRun {
  Journal& journal;
  std::function<absl::Status()> save;
  std::ostream& out;
  std::string step;  // the running step's name

  // The running step's journal entry (its message is shown with the step).
  StepRecord& record() { return *journal.Find(step); }
  // The running step's own facts in the journal (`notes.<step>`), an object.
  nlohmann::json& notes();
};

// Does the step (for a manual step: verifies what the operator did). FailedPrecondition
// means a gate blocks; any other error is a failure that a rerun retries.
using StepAction = std::function<absl::Status(DrContext&, StepRun&)>;

// For a manual step that is not always needed: a non-empty answer says why it is not (the
// step is then done without --confirm); empty or an error leaves it to the operator.
using NotNeededCheck = std::function<absl::StatusOr<std::string>(DrContext&)>;

struct Step {
  Step(std::string name, std::string title, Side side, std::vector<std::string> gates,
       StepAction action)
      : name(std::move(name)),
        title(std::move(title)),
        side(side),
        gates(std::move(gates)),
        action(std::move(action)) {}
  // A step only an operator can do, confirmed with --confirm; `action` verifies it.
  static Step Manual(std::string name, std::string title, Side side, std::vector<std::string> gates,
                     std::string instruction, StepAction action = nullptr);

  std::string name;   // stable id, used in the journal and by --confirm: never rename
  std::string title;  // one line for operators
  Side side = Side::kNone;
  std::vector<std::string> gates;  // what must hold for the step to pass
  bool manual = false;
  std::string instruction;  // for manual steps: what to do
  StepAction action;
  NotNeededCheck not_needed;  // manual steps only; may be null
};

// The action of a manual step with nothing to verify: records the operator's confirmation.
absl::Status ConfirmedByOperator(DrContext& context, StepRun& run);

}  // namespace dr
