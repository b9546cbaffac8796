// The DR procedures end to end, for `ac adm dr upgrade|failover|reenable`: the plan built
// from the context, its journal (file and ConfigMap) loaded, and the steps run or shown.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dr/dr_context.h"
#include "dr/runner.h"

namespace dr {

struct ProcedureOptions {
  std::string operation;     // kUpgrade, kFailover or kReenable (plan.h)
  std::string journal_file;  // empty: DefaultJournalFile(operation)
  bool reset_journal = false;
  std::vector<std::string> confirm;  // manual steps the operator did (--confirm)
};

// Plans, loads or starts the journal, prints the plan and runs it to the first failure,
// blocker or unconfirmed manual step. Errors before a step runs: InvalidArgument (no plan can
// be built from the options, a --confirm names no manual step), FailedPrecondition (a journal
// this run cannot resume), others (a cluster or the journal could not be read).
absl::StatusOr<RunOutcome> RunProcedure(DrContext& context, const ProcedureOptions& options);

// --plan: the ordered steps with their gates and the journal's state (text, or JSON with
// `json`); changes nothing. Errors as RunProcedure's.
absl::StatusOr<std::string> ShowProcedure(DrContext& context, const ProcedureOptions& options,
                                          bool json);

// The upgrade's source version: --from, else the unfinished upgrade journal's (the primary's
// own version changes during the run), else what the primary runs now.
absl::StatusOr<std::string> UpgradeSourceVersion(DrContext& context, JournalStore& store,
                                                 bool reset_journal);

}  // namespace dr
