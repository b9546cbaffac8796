#include "dr/step.h"

namespace dr {

const char* SideName(Side side) {
  switch (side) {
    case Side::kPrimary:
      return "primary";
    case Side::kStandby:
      return "standby";
    case Side::kBoth:
      return "both";
    case Side::kWorkloads:
      return "workload";
    case Side::kNone:
      return "-";
  }
  return "-";
}

nlohmann::json& StepRun::notes() {
  nlohmann::json& notes = journal.notes[step];
  if (!notes.is_object()) notes = nlohmann::json::object();
  return notes;
}

Step Step::Manual(std::string name, std::string title, Side side, std::vector<std::string> gates,
                  std::string instruction, StepAction action) {
  Step step(std::move(name), std::move(title), side, std::move(gates),
            action ? std::move(action) : StepAction(ConfirmedByOperator));
  step.manual = true;
  step.instruction = std::move(instruction);
  return step;
}

absl::Status ConfirmedByOperator(DrContext&, StepRun& run) {
  run.record().message = "confirmed by the operator";
  return absl::OkStatus();
}

}  // namespace dr
