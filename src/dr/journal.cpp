#include "dr/journal.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace dr {

using nlohmann::json;

const char* StepStateName(StepState state) {
  switch (state) {
    case StepState::kPending:
      return "pending";
    case StepState::kRunning:
      return "running";
    case StepState::kDone:
      return "done";
    case StepState::kFailed:
      return "failed";
  }
  return "pending";
}

namespace {

std::optional<StepState> ParseState(const std::string& text) {
  for (StepState state :
       {StepState::kPending, StepState::kRunning, StepState::kDone, StepState::kFailed}) {
    if (text == StepStateName(state)) return state;
  }
  return std::nullopt;
}

}  // namespace

StepRecord* Journal::Find(const std::string& name) {
  for (StepRecord& step : steps) {
    if (step.name == name) return &step;
  }
  return nullptr;
}

const StepRecord* Journal::Find(const std::string& name) const {
  return const_cast<Journal*>(this)->Find(name);
}

size_t Journal::ResumeIndex() const {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].state != StepState::kDone) return i;
  }
  return steps.size();
}

Journal NewJournal(const std::string& operation, const std::vector<std::string>& step_names,
                   const std::string& source_version, const std::string& target_version) {
  Journal journal;
  journal.operation = operation;
  journal.source_version = source_version;
  journal.target_version = target_version;
  for (const std::string& name : step_names) journal.steps.push_back(StepRecord(name));
  return journal;
}

json JournalToJson(const Journal& journal) {
  json steps = json::array();
  for (const StepRecord& step : journal.steps) {
    steps.push_back({{"name", step.name},
                     {"state", StepStateName(step.state)},
                     {"startedAt", step.started_at},
                     {"finishedAt", step.finished_at},
                     {"seconds", step.seconds},
                     {"attempts", step.attempts},
                     {"message", step.message}});
  }
  return {{"kind", "DrJournal"},
          {"operation", journal.operation},
          {"sourceVersion", journal.source_version},
          {"targetVersion", journal.target_version},
          {"sequence", journal.sequence},
          {"updatedAt", journal.updated_at},
          {"steps", steps},
          {"savedPlugin", journal.saved_plugin},
          {"notes", journal.notes},
          {"resumeCommand", journal.resume_command}};
}

std::string ShellCommandLine(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& arg : args) {
    if (!line.empty()) line += ' ';
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789-_.,:/=@%+") == std::string::npos;
    if (plain) {
      line += arg;
      continue;
    }
    line += '\'';
    for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

absl::StatusOr<Journal> JournalFromJson(const json& in, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return absl::DataLossError(fmt::format(
        "DR journal {} is unreadable ({}); restore it or remove it to start over", where, what));
  };
  if (!in.is_object() || in.value("kind", "") != "DrJournal") return bad("not a DrJournal");
  Journal journal;
  try {
    journal.operation = in.at("operation").get<std::string>();
    journal.source_version = in.value("sourceVersion", "");
    journal.target_version = in.value("targetVersion", "");
    journal.sequence = in.value("sequence", int64_t{0});
    journal.updated_at = in.value("updatedAt", "");
    journal.saved_plugin = in.value("savedPlugin", json());
    journal.notes = in.value("notes", json::object());
    if (!journal.notes.is_object()) journal.notes = json::object();
    journal.resume_command = in.value("resumeCommand", "");
    for (const json& step : in.at("steps")) {
      StepRecord record;
      record.name = step.at("name").get<std::string>();
      auto state = ParseState(step.value("state", ""));
      if (!state) return bad(fmt::format("step {} has an unknown state", record.name));
      record.state = *state;
      record.started_at = step.value("startedAt", "");
      record.finished_at = step.value("finishedAt", "");
      record.seconds = step.value("seconds", 0.0);
      record.attempts = step.value("attempts", 0);
      record.message = step.value("message", "");
      journal.steps.push_back(std::move(record));
    }
  } catch (const json::exception& error) {
    return bad(error.what());
  }
  return journal;
}

std::optional<Journal> NewerJournal(std::optional<Journal> a, std::optional<Journal> b) {
  if (!a) return b;
  if (!b) return a;
  return b->sequence > a->sequence ? b : a;
}

absl::StatusOr<JournalUse> DecideJournalUse(const Journal& saved, const std::string& operation,
                                            const std::string& target_version,
                                            const std::vector<std::string>& step_names,
                                            const std::string& where) {
  if (saved.Complete()) return JournalUse::kStartNew;
  if (saved.operation != operation) {
    return absl::FailedPreconditionError(
        fmt::format("DR journal {} holds an unfinished {} (step {}); finish it first, or pass "
                    "--reset-journal to discard it",
                    where, saved.operation, saved.steps[saved.ResumeIndex()].name));
  }
  if (saved.target_version != target_version) {
    return absl::FailedPreconditionError(fmt::format(
        "DR journal {} holds an unfinished {} to {} (step {}), not to {}; rerun with --to {} to "
        "resume it, or pass --reset-journal to discard it",
        where, saved.operation, saved.target_version, saved.steps[saved.ResumeIndex()].name,
        target_version, saved.target_version));
  }
  std::vector<std::string> saved_names;
  for (const StepRecord& step : saved.steps) saved_names.push_back(step.name);
  if (saved_names != step_names && !CanAdoptSteps(saved, step_names)) {
    return absl::FailedPreconditionError(fmt::format(
        "DR journal {} was written for a different plan (a previous version of ac, or other "
        "options): the steps it has done are not where this plan starts; pass --reset-journal "
        "to discard it after checking the clusters by hand",
        where));
  }
  return JournalUse::kResume;
}

bool CanAdoptSteps(const Journal& saved, const std::vector<std::string>& step_names) {
  size_t done = 0;
  for (const StepRecord& step : saved.steps) done += step.state == StepState::kDone ? 1 : 0;
  if (done > step_names.size()) return false;
  // Only additions: a step the journal knows that this plan lacks means another plan.
  for (const StepRecord& step : saved.steps) {
    if (std::find(step_names.begin(), step_names.end(), step.name) == step_names.end()) {
      return false;
    }
  }
  // The plan's first `done` steps are exactly the done ones: what runs next was not done.
  for (size_t i = 0; i < done; ++i) {
    const StepRecord* record = saved.Find(step_names[i]);
    if (!record || record->state != StepState::kDone) return false;
  }
  return true;
}

void AdoptSteps(Journal& journal, const std::vector<std::string>& step_names) {
  std::vector<StepRecord> steps;
  for (const std::string& name : step_names) {
    const StepRecord* record = journal.Find(name);
    steps.push_back(record ? *record : StepRecord(name));
  }
  journal.steps = std::move(steps);
}

}  // namespace dr
