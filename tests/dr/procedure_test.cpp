// The DR procedures as one list per operation: every step carries its action under a unique
// name, and a journal written by the previous version (steps joined to actions by name in
// cmd/ac) still resumes at the step it stopped at, with what its steps recorded.
#include "dr/procedure.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "dr/plan.h"
#include "dr/runner.h"
#include "offline_context.h"
#include "support/temp_dir.h"

namespace dr {
namespace {

std::vector<Plan> EveryProcedure() {
  std::vector<Plan> plans;
  for (const char* from : {"3.18.2", "4.0.1", "4.1.0"}) {
    auto upgrade = BuildUpgradePlan(from, "4.2.0");
    EXPECT_TRUE(upgrade.ok()) << upgrade.status();
    if (upgrade.ok()) plans.push_back(std::move(*upgrade));
  }
  plans.push_back(BuildFailoverPlan(false));
  plans.push_back(BuildFailoverPlan(true));
  plans.push_back(BuildReenablePlan());
  return plans;
}

TEST(ProcedureTest, EveryStepHasAnActionAndAUniqueName) {
  for (const Plan& plan : EveryProcedure()) {
    SCOPED_TRACE(plan.operation + " from " + plan.source_version);
    ASSERT_FALSE(plan.steps.empty());
    std::set<std::string> names;
    for (const Step& step : plan.steps) {
      EXPECT_TRUE(names.insert(step.name).second) << "duplicate step " << step.name;
      EXPECT_TRUE(static_cast<bool>(step.action)) << step.name << " has no action";
      EXPECT_FALSE(step.title.empty()) << step.name;
      EXPECT_NE(step.side, Side::kNone) << step.name;
      EXPECT_EQ(step.manual, !step.instruction.empty()) << step.name;
      EXPECT_EQ(plan.Find(step.name), &step);
    }
  }
}

TEST(ProcedureTest, JournalPlaces) {
  EXPECT_EQ(DefaultJournalFile(kUpgrade), "dr-upgrade-journal.json");
  EXPECT_EQ(DefaultJournalFile(kFailover), "dr-failover-journal.json");
  EXPECT_EQ(JournalConfigMap(kReenable), "dr-reenable-journal");
  EXPECT_TRUE(JournalOnStandby(kFailover));
  EXPECT_FALSE(JournalOnStandby(kUpgrade));
  EXPECT_FALSE(JournalOnStandby(kReenable));
}

TEST(ProcedureTest, ConfirmationsNameManualSteps) {
  Plan failover = BuildFailoverPlan(false);
  EXPECT_TRUE(CheckConfirmations(failover, {"switch-dns", "ensure-es-template"}).ok());
  absl::Status automatic = CheckConfirmations(failover, {"check"});
  EXPECT_TRUE(absl::IsInvalidArgument(automatic)) << automatic;
  absl::Status typo = CheckConfirmations(failover, {"switch-dsn"});
  EXPECT_TRUE(absl::IsInvalidArgument(typo)) << typo;
  EXPECT_NE(std::string(typo.message()).find("--confirm switch-dsn"), std::string::npos);
}

// Journals as the previous version wrote them (JournalToJson, before steps carried actions).
constexpr const char* kOldUpgradeJournal = R"({
  "kind": "DrJournal", "operation": "upgrade", "sourceVersion": "4.1.0",
  "targetVersion": "4.2.0", "sequence": 31, "updatedAt": "2026-11-20T10:00:00Z",
  "steps": [
    {"name": "check", "state": "done", "startedAt": "2026-11-20T09:00:00Z",
     "finishedAt": "2026-11-20T09:00:01Z", "seconds": 1.2, "attempts": 1, "message": ""},
    {"name": "uninstall-sync-plugin", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 3.0, "attempts": 1, "message": ""},
    {"name": "sync-images-standby", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 9.0, "attempts": 1, "message": ""},
    {"name": "sync-images-primary", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 9.0, "attempts": 1, "message": ""},
    {"name": "upgrade-standby", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 60.0, "attempts": 1, "message": ""},
    {"name": "verify-standby", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 1.0, "attempts": 1, "message": "standby at 4.2.0, Ready, 3 Machines Running"},
    {"name": "upgrade-primary", "state": "running", "startedAt": "2026-11-20T09:59:00Z",
     "finishedAt": "", "seconds": 0, "attempts": 1, "message": ""},
    {"name": "verify-primary", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""},
    {"name": "reinstall-sync-plugin", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""},
    {"name": "wait-sync-start", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""},
    {"name": "restart-sync-leader", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""},
    {"name": "final-check", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""}
  ],
  "savedPlugin": {"apiVersion": "cluster.alauda.io/v1alpha1", "kind": "ModuleInfo",
                  "metadata": {"name": "global-etcd-sync"}},
  "notes": {"upgrade-standby": {"prepared": true}, "upgrade-primary": {"prepared": true}}
})";

constexpr const char* kOldFailoverJournal = R"({
  "kind": "DrJournal", "operation": "failover", "sourceVersion": "", "targetVersion": "",
  "sequence": 12, "updatedAt": "2026-11-20T10:00:00Z",
  "steps": [
    {"name": "ensure-es-template", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 1, "message": "confirmed by the operator"},
    {"name": "check", "state": "done", "startedAt": "", "finishedAt": "", "seconds": 1,
     "attempts": 1, "message": ""},
    {"name": "uninstall-sync-plugin", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 2, "attempts": 1, "message": ""},
    {"name": "remove-2379-forwarding", "state": "done", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 1, "message": "confirmed by the operator"},
    {"name": "switch-dns", "state": "pending", "startedAt": "", "finishedAt": "", "seconds": 0,
     "attempts": 0, "message": "waiting for the operator"},
    {"name": "restart-platform-pods", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""},
    {"name": "restart-warlock", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""},
    {"name": "confirm-console", "state": "pending", "startedAt": "", "finishedAt": "",
     "seconds": 0, "attempts": 0, "message": ""}
  ],
  "savedPlugin": {"kind": "ModuleInfo", "metadata": {"name": "global-etcd-sync"}},
  "notes": {}
})";

// The plan with each action replaced by one that records the step and what the journal
// gives it, so the resume is observed without clusters.
struct Recorded {
  std::vector<std::string> ran;
  bool saw_saved_plugin = false;
  bool saw_prepared_note = false;
};

Plan Recording(Plan plan, Recorded& recorded) {
  for (Step& step : plan.steps) {
    EXPECT_TRUE(static_cast<bool>(step.action)) << step.name;
    step.action = [&recorded](DrContext&, StepRun& run) {
      recorded.ran.push_back(run.step);
      if (run.step == "reinstall-sync-plugin") {
        recorded.saw_saved_plugin =
            run.journal.saved_plugin.value("/metadata/name"_json_pointer, std::string()) ==
            "global-etcd-sync";
      }
      if (run.step == "upgrade-primary") {
        recorded.saw_prepared_note = run.notes().value("prepared", false);
      }
      return absl::OkStatus();
    };
  }
  return plan;
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(ProcedureTest, AnUpgradeJournalOfThePreviousVersionResumes) {
  testing_support::TempDir dir;
  WriteFile(dir.File("dr-upgrade-journal.json"), kOldUpgradeJournal);
  std::ostringstream out;
  auto context = OfflineContext(out);
  JournalStore store(dir.File("dr-upgrade-journal.json"), nullptr, "unused", out);
  auto plan = BuildUpgradePlan("4.1.0", "4.2.0");
  ASSERT_TRUE(plan.ok()) << plan.status();
  Recorded recorded;
  Runner runner(Recording(std::move(*plan), recorded), store, out);
  absl::Status prepared = runner.Prepare(false);
  ASSERT_TRUE(prepared.ok()) << prepared;
  EXPECT_NE(out.str().find("resuming from"), std::string::npos) << out.str();
  // Its two image steps (both done) are now the one sync-images step.
  EXPECT_EQ(runner.journal().ResumeIndex(), 5u);
  EXPECT_EQ(runner.journal().steps[2].name, "sync-images");
  RunOutcome outcome = runner.Run(*context, {});
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::kDone) << outcome.message << "\n" << out.str();
  // The previous version's journal lacks restart-standby-pods (§8.4): adopted, it runs too.
  EXPECT_NE(out.str().find("adopted this plan's steps"), std::string::npos) << out.str();
  const std::vector<std::string> expected = {
      "upgrade-primary", "verify-primary",      "reinstall-sync-plugin",
      "wait-sync-start", "restart-sync-leader", "restart-standby-pods",
      "final-check"};
  EXPECT_EQ(recorded.ran, expected) << "done steps ran again, or a step was skipped";
  EXPECT_TRUE(recorded.saw_prepared_note) << "upgrade.sh would run a second time";
  EXPECT_TRUE(recorded.saw_saved_plugin);
  EXPECT_EQ(runner.journal().Find("verify-standby")->message,
            "standby at 4.2.0, Ready, 3 Machines Running");
  EXPECT_EQ(runner.journal().Find("upgrade-primary")->attempts, 2);
}

TEST(ProcedureTest, AFailoverJournalOfThePreviousVersionWaitsAtTheSameManualStep) {
  testing_support::TempDir dir;
  WriteFile(dir.File("dr-failover-journal.json"), kOldFailoverJournal);
  std::ostringstream out;
  auto context = OfflineContext(out);
  JournalStore store(dir.File("dr-failover-journal.json"), nullptr, "unused", out);
  Recorded recorded;
  {
    Runner runner(Recording(BuildFailoverPlan(false), recorded), store, out);
    ASSERT_TRUE(runner.Prepare(false).ok());
    RunOutcome waiting = runner.Run(*context, {});
    EXPECT_EQ(waiting.kind, RunOutcome::Kind::kNeedsConfirmation);
    EXPECT_EQ(waiting.step, "switch-dns");
    EXPECT_TRUE(recorded.ran.empty());
  }
  Runner runner(Recording(BuildFailoverPlan(false), recorded), store, out);
  ASSERT_TRUE(runner.Prepare(false).ok());
  RunOutcome outcome = runner.Run(*context, {"switch-dns", "check-dns", "confirm-console"});
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::kDone) << outcome.message;
  // The documented order now: the DNS and console checks before the restarts.
  const std::vector<std::string> expected = {"switch-dns", "check-dns", "confirm-console",
                                             "restart-platform-pods", "restart-warlock"};
  EXPECT_EQ(recorded.ran, expected);
}

TEST(ProcedureTest, AJournalForAnotherPlanIsNotResumed) {
  // A previous version's failover journal that already restarted the platform pods (its order
  // put them before the DNS and console checks): the new plan would start at check-dns, a
  // step before a done one, so it is refused with one line rather than misapplied.
  std::string text = kOldFailoverJournal;
  for (const char* step : {"switch-dns", "restart-platform-pods"}) {
    const size_t at = text.find(std::string("\"name\": \"") + step + "\", \"state\": \"pending\"");
    ASSERT_NE(at, std::string::npos) << step;
    text.replace(text.find("pending", at), 7, "done");
  }
  testing_support::TempDir dir;
  WriteFile(dir.File("journal.json"), text);
  std::ostringstream out;
  JournalStore store(dir.File("journal.json"), nullptr, "unused", out);
  Runner runner(BuildFailoverPlan(true), store, out);
  absl::Status prepared = runner.Prepare(false);
  EXPECT_TRUE(absl::IsFailedPrecondition(prepared)) << prepared;
  EXPECT_NE(std::string(prepared.message()).find("pass --reset-journal"), std::string::npos);
  EXPECT_EQ(std::string(prepared.message()).find('\n'), std::string::npos);
}

TEST(ProcedureTest, RunProcedureRefusesAnUnknownConfirmationBeforeTouchingTheJournal) {
  testing_support::TempDir dir;
  std::ostringstream out;
  auto context = OfflineContext(out);
  ProcedureOptions options;
  options.operation = kReenable;
  options.journal_file = dir.File("journal.json");
  options.confirm = {"switch-dns"};  // a failover step, not a reenable one
  auto outcome = RunProcedure(*context, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(outcome.status())) << outcome.status();
  EXPECT_FALSE(std::ifstream(options.journal_file).good()) << "a journal was written";

  options.operation = "rollback";
  options.confirm.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(RunProcedure(*context, options).status()));
}

}  // namespace
}  // namespace dr
