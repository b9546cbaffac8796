// The journal: JSON round trip, which copy is newer, when a saved journal is resumed, and
// the runner resuming at the failed step without repeating a done one.
#include "dr/journal.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "dr/dr_context.h"
#include "dr/runner.h"
#include "offline_context.h"
#include "support/temp_dir.h"

namespace dr {
namespace {

const std::vector<std::string> kSteps = {"check", "uninstall-sync-plugin", "upgrade-standby"};

TEST(JournalTest, RoundTripsThroughJson) {
  Journal journal = NewJournal("upgrade", kSteps, "4.1.0", "4.2.0");
  journal.sequence = 7;
  journal.steps[0].state = StepState::kDone;
  journal.steps[0].attempts = 2;
  journal.steps[1].state = StepState::kRunning;
  journal.saved_plugin = {{"metadata", {{"name", "global-etcd-sync"}}}};
  journal.notes["upgrade-standby"]["prepared"] = true;
  auto back = JournalFromJson(JournalToJson(journal), "test");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sequence, 7);
  EXPECT_EQ(back->source_version, "4.1.0");
  EXPECT_EQ(back->steps[0].state, StepState::kDone);
  EXPECT_EQ(back->steps[0].attempts, 2);
  EXPECT_EQ(back->steps[1].state, StepState::kRunning);
  EXPECT_EQ(back->saved_plugin["metadata"]["name"], "global-etcd-sync");
  EXPECT_TRUE(back->notes["upgrade-standby"]["prepared"].get<bool>());
  EXPECT_EQ(back->ResumeIndex(), 1u);
  EXPECT_FALSE(back->Complete());
}

TEST(JournalTest, RejectsWhatIsNotAJournal) {
  EXPECT_FALSE(JournalFromJson(nlohmann::json::object(), "x").ok());
  nlohmann::json bad = JournalToJson(NewJournal("upgrade", kSteps, "4.1", "4.2"));
  bad["steps"][0]["state"] = "exploded";
  auto parsed = JournalFromJson(bad, "file.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(std::string(parsed.status().message()).find("file.json"), std::string::npos);
}

TEST(JournalTest, TheNewerCopyWins) {
  Journal file = NewJournal("upgrade", kSteps, "4.1", "4.2");
  Journal cluster = file;
  file.sequence = 4;
  cluster.sequence = 9;
  cluster.steps[0].state = StepState::kDone;
  EXPECT_EQ(NewerJournal(file, cluster)->sequence, 9);
  EXPECT_EQ(NewerJournal(cluster, file)->sequence, 9);
  EXPECT_EQ(NewerJournal(std::nullopt, file)->sequence, 4);
  EXPECT_EQ(NewerJournal(file, std::nullopt)->sequence, 4);
  EXPECT_FALSE(NewerJournal(std::nullopt, std::nullopt).has_value());
}

TEST(JournalTest, DecidesWhetherToResume) {
  Journal saved = NewJournal("upgrade", kSteps, "4.1", "4.2");
  saved.steps[0].state = StepState::kDone;
  EXPECT_EQ(*DecideJournalUse(saved, "upgrade", "4.2", kSteps, "j"), JournalUse::kResume);
  auto other_target = DecideJournalUse(saved, "upgrade", "4.3", kSteps, "j");
  ASSERT_FALSE(other_target.ok());
  EXPECT_NE(std::string(other_target.status().message()).find("--to 4.2"), std::string::npos);
  EXPECT_FALSE(DecideJournalUse(saved, "failover", "", kSteps, "j").ok());
  EXPECT_FALSE(DecideJournalUse(saved, "upgrade", "4.2", {"check"}, "j").ok());
  for (StepRecord& step : saved.steps) step.state = StepState::kDone;
  EXPECT_EQ(*DecideJournalUse(saved, "upgrade", "4.3", kSteps, "j"), JournalUse::kStartNew);
}

struct Counters {
  int checks = 0, upgrades = 0;
  bool fail_upgrade = true;
};

Plan ThreeSteps(Counters& counters) {
  Plan plan;
  plan.operation = "upgrade";
  plan.source_version = "4.1";
  plan.target_version = "4.2";
  plan.steps = {
      {"check",
       "gate",
       Side::kBoth,
       {},
       [&counters](DrContext&, StepRun&) {
         ++counters.checks;
         return absl::OkStatus();
       }},
      Step::Manual("manual-thing", "by hand", Side::kBoth, {}, "do the thing"),
      {"upgrade-standby", "act", Side::kStandby, {}, [&counters](DrContext&, StepRun& run) {
         ++counters.upgrades;
         run.notes()["requested"] = true;
         if (auto saved = run.save(); !saved.ok()) return saved;
         return counters.fail_upgrade ? absl::UnavailableError("cvo down") : absl::OkStatus();
       }}};
  return plan;
}

TEST(RunnerTest, ResumesAtTheFailedStepAndNeverRepeatsADoneOne) {
  testing_support::TempDir dir;
  std::ostringstream out;
  auto context = OfflineContext(out);
  JournalStore store(dir.File("journal.json"), nullptr, "unused", out);
  Counters counters;
  {
    Runner runner(ThreeSteps(counters), store, out);
    ASSERT_TRUE(runner.Prepare(false).ok());
    RunOutcome first = runner.Run(*context, {});
    EXPECT_EQ(first.kind, RunOutcome::Kind::kNeedsConfirmation);
    EXPECT_EQ(first.step, "manual-thing");
    EXPECT_NE(out.str().find("--confirm manual-thing"), std::string::npos) << out.str();
  }
  {
    Runner runner(ThreeSteps(counters), store, out);
    ASSERT_TRUE(runner.Prepare(false).ok());
    RunOutcome second = runner.Run(*context, {"manual-thing"});
    EXPECT_EQ(second.kind, RunOutcome::Kind::kFailed);
    EXPECT_EQ(second.step, "upgrade-standby");
    EXPECT_NE(second.message.find("cvo down"), std::string::npos);
    EXPECT_EQ(runner.journal().Find("manual-thing")->message, "confirmed by the operator");
  }
  EXPECT_EQ(counters.checks, 1);
  counters.fail_upgrade = false;
  {
    Runner runner(ThreeSteps(counters), store, out);
    ASSERT_TRUE(runner.Prepare(false).ok());
    EXPECT_EQ(runner.journal().ResumeIndex(), 2u);
    EXPECT_TRUE(runner.journal().notes["upgrade-standby"]["requested"].get<bool>());
    RunOutcome third = runner.Run(*context, {});
    EXPECT_EQ(third.kind, RunOutcome::Kind::kDone);
    EXPECT_EQ(runner.journal().Find("upgrade-standby")->attempts, 2);
  }
  EXPECT_EQ(counters.checks, 1) << "a done step ran again";
  EXPECT_EQ(counters.upgrades, 2);
  EXPECT_NE(out.str().find("already done"), std::string::npos);

  // The file on disk says the same, and a new run after completion starts over.
  std::ifstream in(dir.File("journal.json"));
  std::stringstream text;
  text << in.rdbuf();
  auto saved = JournalFromJson(nlohmann::json::parse(text.str()), "file");
  ASSERT_TRUE(saved.ok());
  EXPECT_TRUE(saved->Complete());
  Runner again(ThreeSteps(counters), store, out);
  ASSERT_TRUE(again.Prepare(false).ok());
  EXPECT_EQ(again.journal().ResumeIndex(), 0u);
}

// The run's command (its flags, no secret values) is kept in the journal and printed where
// the run stops: at a manual step with the --confirm to add, at a failure as "rerun: ...".
TEST(RunnerTest, PrintsAndKeepsTheCommandThatResumes) {
  testing_support::TempDir dir;
  std::ostringstream out;
  DrOptions options;
  options.resume_command = ShellCommandLine(
      {"ac", "adm", "dr", "upgrade", "--primary-kubeconfig", "/k/primary config", "--to", "4.2.0"});
  EXPECT_EQ(options.resume_command,
            "ac adm dr upgrade --primary-kubeconfig '/k/primary config' --to 4.2.0");
  EXPECT_EQ(ShellCommandLine({"it's", ""}), "'it'\\''s' ''");
  auto context = OfflineContext(out, options);
  JournalStore store(dir.File("journal.json"), nullptr, "unused", out);
  Counters counters;
  Runner runner(ThreeSteps(counters), store, out);
  ASSERT_TRUE(runner.Prepare(false).ok());
  EXPECT_EQ(runner.Run(*context, {}).kind, RunOutcome::Kind::kNeedsConfirmation);
  EXPECT_NE(out.str().find("then rerun: " + options.resume_command + " --confirm manual-thing"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(runner.Run(*context, {"manual-thing"}).kind, RunOutcome::Kind::kFailed);
  EXPECT_NE(out.str().find("fix the cause and rerun: " + options.resume_command), std::string::npos)
      << out.str();
  auto saved = store.Load();
  ASSERT_TRUE(saved.ok() && saved->has_value());
  EXPECT_EQ((*saved)->resume_command, options.resume_command);
  auto back = JournalFromJson(JournalToJson(**saved), "test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->resume_command, options.resume_command);
}

// Runs ThreeSteps with its first step's action replaced by `check`.
RunOutcome RunWithCheck(StepAction check, std::ostringstream& out, Journal* journal) {
  testing_support::TempDir dir;
  auto context = OfflineContext(out);
  JournalStore store(dir.File("journal.json"), nullptr, "unused", out);
  Counters counters;
  Plan plan = ThreeSteps(counters);
  plan.steps[0].action = std::move(check);
  Runner runner(std::move(plan), store, out);
  EXPECT_TRUE(runner.Prepare(false).ok());
  RunOutcome outcome = runner.Run(*context, {});
  *journal = runner.journal();
  return outcome;
}

TEST(RunnerTest, AFailedGateIsBlockedNotFailed) {
  std::ostringstream out;
  Journal journal;
  RunOutcome outcome = RunWithCheck(
      [](DrContext&, StepRun&) { return absl::FailedPreconditionError("1 surplus key"); }, out,
      &journal);
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::kBlocked);
  EXPECT_NE(out.str().find("BLOCKED"), std::string::npos);
  EXPECT_EQ(journal.Find("check")->state, StepState::kFailed);
}

TEST(RunnerTest, AStepOutOfTimeIsTimedOutAndResumable) {
  std::ostringstream out;
  Journal journal;
  RunOutcome outcome = RunWithCheck(
      [](DrContext&, StepRun&) {
        return absl::DeadlineExceededError("monitor lag still 40s after --step-timeout 600s");
      },
      out, &journal);
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::kTimedOut);
  EXPECT_NE(out.str().find("TIMED OUT"), std::string::npos);
  EXPECT_EQ(journal.Find("check")->state, StepState::kFailed);  // a rerun starts here
}

TEST(RunnerTest, AStepWithoutAnActionFailsInsteadOfPassing) {
  std::ostringstream out;
  Journal journal;
  RunOutcome outcome = RunWithCheck(nullptr, out, &journal);
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::kFailed);
  EXPECT_NE(outcome.message.find("no action for step check"), std::string::npos);
}

}  // namespace
}  // namespace dr
