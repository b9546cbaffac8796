#include "dr/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/absl_fmt.h"
#include "dr/dr_context.h"
#include "k8s/json_fields.h"
#include "platform/resources.h"

namespace dr {

using nlohmann::json;

JournalStore::JournalStore(std::string file, k8s::RestClient* cluster, std::string configmap_name,
                           std::ostream& out)
    : file_(std::move(file)),
      cluster_(cluster),
      configmap_name_(std::move(configmap_name)),
      out_(out) {}

std::string JournalStore::Describe() const {
  return cluster_ ? fmt::format("{} (and ConfigMap {}/{})", file_, platform::kPlatformNamespace,
                                configmap_name_)
                  : file_;
}

absl::StatusOr<std::optional<Journal>> JournalStore::LoadFile() {
  std::ifstream in(file_);
  if (!in) return std::optional<Journal>();
  std::stringstream text;
  text << in.rdbuf();
  json parsed = json::parse(text.str(), nullptr, false);
  auto journal = JournalFromJson(parsed, file_);
  if (!journal.ok()) return journal.status();
  return std::optional<Journal>(std::move(*journal));
}

absl::StatusOr<std::optional<Journal>> JournalStore::LoadCluster() {
  if (!cluster_) return std::optional<Journal>();
  auto configmap =
      cluster_->Get(platform::kConfigMaps, platform::kPlatformNamespace, configmap_name_);
  if (!configmap.ok()) {
    if (absl::IsNotFound(configmap.status())) return std::optional<Journal>();
    return configmap.status();
  }
  const json::json_pointer path("/data/journal.json");
  if (!configmap->contains(path)) return std::optional<Journal>();
  json parsed = json::parse((*configmap)[path].get<std::string>(), nullptr, false);
  auto journal = JournalFromJson(parsed, "ConfigMap " + configmap_name_);
  if (!journal.ok()) return journal.status();
  return std::optional<Journal>(std::move(*journal));
}

absl::StatusOr<std::optional<Journal>> JournalStore::Load() {
  auto file = LoadFile();
  if (!file.ok()) return file.status();
  auto cluster = LoadCluster();
  if (!cluster.ok()) {
    out_ << fmt::format("warning: cannot read the journal ConfigMap {}/{} ({}); using {}\n",
                        platform::kPlatformNamespace, configmap_name_,
                        common::View(cluster.status().message()), file_);
    return file;
  }
  return NewerJournal(std::move(*file), std::move(*cluster));
}

absl::Status JournalStore::Save(Journal& journal) {
  ++journal.sequence;
  journal.updated_at = k8s::NowRfc3339();
  const std::string text = JournalToJson(journal).dump(2) + "\n";
  const std::string temporary = file_ + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return absl::UnavailableError(fmt::format(
          "cannot write the DR journal {}: check the directory (--journal)", temporary));
    }
  }
  // The saved plugin object may carry the active cluster's token (legacy plain-token field).
  std::error_code ignored;
  std::filesystem::permissions(
      temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, ignored);
  if (std::rename(temporary.c_str(), file_.c_str()) != 0) {
    return absl::UnavailableError(fmt::format("cannot replace the DR journal {}", file_));
  }
  if (!cluster_) return absl::OkStatus();
  json configmap = {{"apiVersion", "v1"},
                    {"kind", "ConfigMap"},
                    {"metadata",
                     {{"name", configmap_name_},
                      {"namespace", platform::kPlatformNamespace},
                      {"labels", {{"app.kubernetes.io/managed-by", "ac-adm-dr"}}}}},
                    {"data", {{"journal.json", text}}}};
  auto patched = cluster_->MergePatch(platform::kConfigMaps, platform::kPlatformNamespace,
                                      configmap_name_, {{"data", {{"journal.json", text}}}});
  if (!patched.ok() && absl::IsNotFound(patched.status())) {
    patched = cluster_->Create(platform::kConfigMaps, platform::kPlatformNamespace, configmap);
  }
  if (!patched.ok() && !warned_) {
    warned_ = true;  // once per run: every step would repeat it
    out_ << fmt::format("warning: cannot write the journal ConfigMap {}/{} ({}); {} has it\n",
                        platform::kPlatformNamespace, configmap_name_,
                        common::View(patched.status().message()), file_);
  }
  return absl::OkStatus();
}

absl::Status JournalStore::Reset() {
  std::remove(file_.c_str());
  if (cluster_) {
    auto removed =
        cluster_->Delete(platform::kConfigMaps, platform::kPlatformNamespace, configmap_name_);
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
  }
  return absl::OkStatus();
}

Runner::Runner(Plan plan, JournalStore& store, std::ostream& out)
    : plan_(std::move(plan)), store_(store), out_(out) {}

absl::Status Runner::Prepare(bool reset) {
  if (reset) {
    if (auto done = store_.Reset(); !done.ok()) return done;
  }
  auto saved = store_.Load();
  if (!saved.ok()) return saved.status();
  if (*saved && plan_.migrate_journal) plan_.migrate_journal(**saved);
  if (*saved) {
    auto use = DecideJournalUse(**saved, plan_.operation, plan_.target_version, plan_.StepNames(),
                                store_.Describe());
    if (!use.ok()) return use.status();
    if (*use == JournalUse::kResume) {
      journal_ = std::move(**saved);
      if (std::vector<std::string> names = plan_.StepNames();
          names.size() != journal_.steps.size() ||
          !std::equal(
              names.begin(), names.end(), journal_.steps.begin(),
              [](const std::string& name, const StepRecord& step) { return name == step.name; })) {
        AdoptSteps(journal_, names);
        out_ << fmt::format(
            "the journal {} was written for an earlier step list; adopted this "
            "plan's steps (done steps kept)\n",
            store_.Describe());
        if (auto stored = store_.Save(journal_); !stored.ok()) return stored;
      }
      out_ << fmt::format("resuming from {}: step {} of {} ({})\n", store_.Describe(),
                          journal_.ResumeIndex() + 1, journal_.steps.size(),
                          journal_.steps[journal_.ResumeIndex()].name);
      return absl::OkStatus();
    }
  }
  journal_ =
      NewJournal(plan_.operation, plan_.StepNames(), plan_.source_version, plan_.target_version);
  return store_.Save(journal_);
}

namespace {

RunOutcome::Kind KindOf(const absl::Status& status) {
  if (absl::IsFailedPrecondition(status)) return RunOutcome::Kind::kBlocked;
  if (absl::IsDeadlineExceeded(status)) return RunOutcome::Kind::kTimedOut;
  return RunOutcome::Kind::kFailed;
}

}  // namespace

RunOutcome Runner::Run(DrContext& context, const std::set<std::string>& confirmed) {
  const auto run_start = std::chrono::steady_clock::now();
  // Saved with the first write below; the console shows it as the way to resume.
  if (!context.options().resume_command.empty()) {
    journal_.resume_command = context.options().resume_command;
  }
  const std::string rerun = journal_.resume_command.empty() ? std::string("rerun the same command")
                                                            : "rerun: " + journal_.resume_command;
  auto elapsed = [&run_start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  };
  for (size_t i = 0; i < plan_.steps.size(); ++i) {
    const Step& step = plan_.steps[i];
    StepRecord& record = *journal_.Find(step.name);
    const std::string position = fmt::format("[{}/{}]", i + 1, plan_.steps.size());
    if (record.state == StepState::kDone) {
      out_ << fmt::format("{} {:<24} already done ({}){}\n", position, step.name,
                          record.finished_at, record.message.empty() ? "" : ": " + record.message);
      continue;
    }
    if (step.manual && !confirmed.contains(step.name) && step.not_needed) {
      auto reason = step.not_needed(context);
      if (reason.ok() && !reason->empty()) {
        record.state = StepState::kDone;
        ++record.attempts;
        record.started_at = record.finished_at = k8s::NowRfc3339();
        record.message = "not needed: " + *reason;
        if (auto saved = store_.Save(journal_); !saved.ok()) {
          return {RunOutcome::Kind::kFailed, step.name, std::string(saved.message())};
        }
        out_ << fmt::format("{} {:<24} {}\n", position, step.name, record.message) << std::flush;
        continue;
      }
    }
    if (step.manual && !confirmed.contains(step.name)) {
      record.state = StepState::kPending;
      record.message = "waiting for the operator";
      if (auto saved = store_.Save(journal_); !saved.ok()) {
        return {RunOutcome::Kind::kFailed, step.name, std::string(saved.message())};
      }
      std::string message =
          journal_.resume_command.empty()
              ? fmt::format("{} {:<24} ACTION NEEDED: {}\n      then rerun with --confirm {}",
                            position, step.name, step.instruction, step.name)
              : fmt::format("{} {:<24} ACTION NEEDED: {}\n      then rerun: {} --confirm {}",
                            position, step.name, step.instruction, journal_.resume_command,
                            step.name);
      out_ << message << "\n";
      return {RunOutcome::Kind::kNeedsConfirmation, step.name, step.instruction};
    }
    const auto start = std::chrono::steady_clock::now();
    record.state = StepState::kRunning;
    record.started_at = k8s::NowRfc3339();
    record.finished_at.clear();
    record.message.clear();
    ++record.attempts;
    // The journal first: a start the operator saw printed is always in the journal, even when
    // the run is killed right after the line.
    if (auto saved = store_.Save(journal_); !saved.ok()) {
      return {RunOutcome::Kind::kFailed, step.name, std::string(saved.message())};
    }
    out_ << fmt::format("{} {:<24} {} {}{}\n", position, step.name, SideName(step.side), step.title,
                        record.attempts > 1 ? fmt::format(" (attempt {})", record.attempts) : "")
         << std::flush;
    absl::Status result = absl::OkStatus();
    if (!step.action) {
      result = absl::InternalError(fmt::format("no action for step {}", step.name));
    } else {  // a manual step's action verifies what the operator did
      StepRun run{journal_, [this] { return store_.Save(journal_); }, out_, step.name};
      result = step.action(context, run);
    }
    // The step may have saved the journal; `record` still points into journal_.steps.
    StepRecord& after = *journal_.Find(step.name);
    after.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    after.finished_at = k8s::NowRfc3339();
    if (result.ok()) {
      after.state = StepState::kDone;
    } else {
      after.state = StepState::kFailed;
      after.message = std::string(result.message());
    }
    if (auto saved = store_.Save(journal_); !saved.ok()) {
      return {RunOutcome::Kind::kFailed, step.name, std::string(saved.message())};
    }
    if (!result.ok()) {
      const RunOutcome::Kind kind = KindOf(result);
      out_ << fmt::format("{} {:<24} {} after {:.1f}s (total {:.1f}s): {}\n", position, step.name,
                          kind == RunOutcome::Kind::kBlocked    ? "BLOCKED"
                          : kind == RunOutcome::Kind::kTimedOut ? "TIMED OUT"
                                                                : "FAILED",
                          after.seconds, elapsed(), common::View(result.message()))
           << fmt::format("      the journal {} resumes here: fix the cause and {}\n",
                          store_.Describe(), rerun);
      return {kind, step.name, std::string(result.message())};
    }
    out_ << fmt::format("{} {:<24} done in {:.1f}s (total {:.1f}s){}\n", position, step.name,
                        after.seconds, elapsed(), after.message.empty() ? "" : ": " + after.message)
         << std::flush;
  }
  out_ << fmt::format("DR {} complete: {} steps (total {:.1f}s)\n", plan_.operation,
                      plan_.steps.size(), elapsed());
  return {RunOutcome::Kind::kDone, "", ""};
}

}  // namespace dr
