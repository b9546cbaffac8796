// The DR runbook's record of what it did: one entry per plan step (pending, running, done,
// failed) plus what a later step needs (the uninstalled plugin's object), so a rerun resumes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dr {

enum class StepState { kPending, kRunning, kDone, kFailed };
const char* StepStateName(StepState state);

struct StepRecord {
  StepRecord() = default;
  explicit StepRecord(std::string name) : name(std::move(name)) {}
  std::string name;
  StepState state = StepState::kPending;
  std::string started_at;   // RFC 3339 UTC
  std::string finished_at;  // RFC 3339 UTC
  double seconds = 0;       // wall time of the last attempt
  int attempts = 0;
  std::string message;  // why it failed, or what it found ("already at 4.2.0")
};

struct Journal {
  std::string operation;  // "upgrade", "failover", "reenable"
  std::string source_version;
  std::string target_version;
  int64_t sequence = 0;  // +1 on every write; the newer of two copies has the larger one
  std::string updated_at;
  std::vector<StepRecord> steps;
  // The etcd Synchronizer plugin's ModuleInfo as it was before the uninstall (no status,
  // no server-set metadata), re-created by the reinstall step.
  nlohmann::json saved_plugin;
  // Facts a step records for its own resumption ("restart-sync-leader": the deleted pod).
  nlohmann::json notes = nlohmann::json::object();
  // The command that resumes it, as the last run was given it (its flags, files and
  // environment variable names; never a secret's value). Empty in journals of earlier runs.
  std::string resume_command;

  StepRecord* Find(const std::string& name);
  const StepRecord* Find(const std::string& name) const;
  // Index of the first step not done (steps.size() when all are done).
  size_t ResumeIndex() const;
  bool Complete() const { return ResumeIndex() == steps.size(); }
};

Journal NewJournal(const std::string& operation, const std::vector<std::string>& step_names,
                   const std::string& source_version, const std::string& target_version);

nlohmann::json JournalToJson(const Journal& journal);

// `args` as one shell command line: each argument single-quoted unless it is made of
// characters the shell leaves alone.
std::string ShellCommandLine(const std::vector<std::string>& args);
absl::StatusOr<Journal> JournalFromJson(const nlohmann::json& json, const std::string& where);

// The copy to resume from: the one with the larger sequence (either may be missing).
std::optional<Journal> NewerJournal(std::optional<Journal> a, std::optional<Journal> b);

// Whether a saved journal can be resumed by a run for `operation` to `target_version`
// with these steps (or steps it can adopt, CanAdoptSteps); a finished journal is not resumed
// (a new run starts), an unfinished one for another target or plan is one error line naming
// the journal and what to do.
enum class JournalUse { kResume, kStartNew };
absl::StatusOr<JournalUse> DecideJournalUse(const Journal& saved, const std::string& operation,
                                            const std::string& target_version,
                                            const std::vector<std::string>& step_names,
                                            const std::string& where);

// A journal written for another step list (an earlier version of ac, whose plan lacked steps
// added since) resumes when this plan has every step it knows and its first steps are
// exactly the ones it has done, so no new step lands before a done one; AdoptSteps then
// rewrites its list to `step_names` (records kept by name, new steps pending).
bool CanAdoptSteps(const Journal& saved, const std::vector<std::string>& step_names);
void AdoptSteps(Journal& journal, const std::vector<std::string>& step_names);

}  // namespace dr
