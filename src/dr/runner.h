// Runs a plan step by step against its journal: skips what is done, records each step
// before and after it runs (file + ConfigMap), prints one progress line per step with its
// elapsed time, and stops at the first failure or at a manual step not yet confirmed.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dr/journal.h"
#include "dr/plan.h"
#include "dr/step.h"
#include "k8s/rest_client.h"

namespace dr {

// Where the journal lives: a file (authoritative for this machine) and a ConfigMap
// cpaas-system/<name> on a cluster, so another machine (or a lost file) can resume.
class JournalStore {
 public:
  // `cluster` may be null (no cluster copy).
  JournalStore(std::string file, k8s::RestClient* cluster, std::string configmap_name,
               std::ostream& out);

  // The newer of the two copies; nullopt when neither exists.
  absl::StatusOr<std::optional<Journal>> Load();
  // Bumps the sequence and the time, writes the file (an error stops the run) and the
  // ConfigMap (a failure is a warning: the file still has it).
  absl::Status Save(Journal& journal);
  // Deletes both copies (--reset-journal).
  absl::Status Reset();
  std::string Describe() const;

 private:
  absl::StatusOr<std::optional<Journal>> LoadFile();
  absl::StatusOr<std::optional<Journal>> LoadCluster();

  std::string file_;
  k8s::RestClient* cluster_;
  std::string configmap_name_;
  std::ostream& out_;
  bool warned_ = false;
};

struct RunOutcome {
  // kTimedOut: a step ran out of --step-timeout (or stalled past --stall-grace).
  enum class Kind { kDone, kFailed, kBlocked, kNeedsConfirmation, kTimedOut } kind = Kind::kDone;
  std::string step;     // the step that stopped the run
  std::string message;  // why, and what to do
};

class Runner {
 public:
  Runner(Plan plan, JournalStore& store, std::ostream& out);

  // Loads or starts the journal (`reset`: discard a saved one). Errors: an unfinished
  // journal for another operation/target, an unreadable journal.
  absl::Status Prepare(bool reset);
  // Runs each step's action from the first step not done. `confirmed`: manual steps the
  // operator confirms (a manual step not confirmed stops the run).
  RunOutcome Run(DrContext& context, const std::set<std::string>& confirmed);

  const Journal& journal() const { return journal_; }
  const Plan& plan() const { return plan_; }

 private:
  Plan plan_;
  JournalStore& store_;
  std::ostream& out_;
  Journal journal_;
};

}  // namespace dr
