// The DR steps' pure rules (issue 21): port 2379 read from the running plugin's monitor, the
// 4.3.1 token rule, the plugin config turned around for the re-enable, and which journals of
// an earlier step list resume.
#include <gtest/gtest.h>

#include "dr/gates.h"
#include "dr/journal.h"
#include "dr/plugin_steps.h"

namespace dr {
namespace {

using nlohmann::json;

TEST(SourceUpGateTest, ReadsEtcdSyncSourceUpFromTheMonitor) {
  EXPECT_TRUE(EvaluateSourceUp(std::string("etcd_sync_leader 1\netcd_sync_source_up 1\n")).passed);
  GateResult down = EvaluateSourceUp(std::string("etcd_sync_source_up 0\n"));
  EXPECT_FALSE(down.passed);
  EXPECT_NE(down.detail.find("cannot reach the active etcd"), std::string::npos);
  EXPECT_NE(down.remedy.find("2379"), std::string::npos);
  EXPECT_FALSE(EvaluateSourceUp(std::string("etcd_sync_leader 1\n")).passed);
  GateResult silent = EvaluateSourceUp(absl::UnavailableError("connection refused"));
  EXPECT_FALSE(silent.passed);
  EXPECT_NE(silent.detail.find("connection refused"), std::string::npos);
}

TEST(ActiveTokenTest, From431) {
  EXPECT_FALSE(NeedsActiveToken(""));
  EXPECT_FALSE(NeedsActiveToken("4.3.0"));
  EXPECT_TRUE(NeedsActiveToken("4.3.1"));
  EXPECT_TRUE(NeedsActiveToken("v4.4.0"));
}

json Plugin(json config) {
  return {{"metadata", {{"name", "global-etcd-sync"}}}, {"spec", {{"config", config}}}};
}

TEST(ReversedPluginConfigTest, PointsTheSyncAtTheNewPrimary) {
  std::string note;
  // Nothing about the direction in the config: unchanged.
  json plain = Plugin({{"check-interval", 300}});
  auto same = ReversedPluginConfig(plain, "", {}, &note);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, plain);
  EXPECT_NE(note.find("unchanged"), std::string::npos);

  json old = Plugin({{"active-global-vip", "10.0.0.1"},
                     {"source-endpoints", "https://10.0.0.1:2379"},
                     {"check-interval", 300}});
  auto refused = ReversedPluginConfig(old, "", {}, &note);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_NE(std::string(refused.status().message()).find("--primary-vip"), std::string::npos);

  auto reversed = ReversedPluginConfig(old, "10.0.0.2", {}, &note);
  ASSERT_TRUE(reversed.ok()) << reversed.status();
  EXPECT_EQ((*reversed)["spec"]["config"]["active-global-vip"], "10.0.0.2");
  EXPECT_EQ((*reversed)["spec"]["config"]["source-endpoints"], "https://10.0.0.2:2379");
  EXPECT_EQ((*reversed)["spec"]["config"]["check-interval"], 300);
  EXPECT_NE(note.find("10.0.0.1 -> 10.0.0.2"), std::string::npos) << note;

  auto direct = ReversedPluginConfig(old, "10.0.0.2",
                                     {"https://10.0.0.21:2379", "https://10.0.0.22:2379"}, &note);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ((*direct)["spec"]["config"]["source-endpoints"],
            "https://10.0.0.21:2379,https://10.0.0.22:2379");
  // 4.3.0 form: endpoints only.
  auto endpoints_only =
      ReversedPluginConfig(Plugin({{"source-endpoints", "https://10.0.0.1:2379"}}), "",
                           {"https://10.0.0.21:2379"}, &note);
  ASSERT_TRUE(endpoints_only.ok());
  EXPECT_FALSE((*endpoints_only)["spec"]["config"].contains("active-global-vip"));
}

TEST(AdoptStepsTest, AJournalOfAnEarlierStepListResumesOnlyWhereNothingNewComesFirst) {
  Journal old = NewJournal("upgrade", {"a", "b", "c", "d"}, "4.1", "4.2");
  old.steps[0].state = StepState::kDone;
  old.steps[1].state = StepState::kDone;
  old.steps[1].message = "kept";
  // A step added after the done ones: adopted.
  const std::vector<std::string> added = {"a", "b", "c", "new", "d"};
  EXPECT_TRUE(CanAdoptSteps(old, added));
  auto use = DecideJournalUse(old, "upgrade", "4.2", added, "j");
  ASSERT_TRUE(use.ok()) << use.status();
  EXPECT_EQ(*use, JournalUse::kResume);
  Journal adopted = old;
  AdoptSteps(adopted, added);
  ASSERT_EQ(adopted.steps.size(), 5u);
  EXPECT_EQ(adopted.steps[1].message, "kept");
  EXPECT_EQ(adopted.steps[3].name, "new");
  EXPECT_EQ(adopted.steps[3].state, StepState::kPending);
  EXPECT_EQ(adopted.ResumeIndex(), 2u);
  // A step added before a done one, or a done step moved after a pending one: refused.
  EXPECT_FALSE(CanAdoptSteps(old, {"a", "new", "b", "c", "d"}));
  EXPECT_FALSE(CanAdoptSteps(old, {"a", "c", "b", "d"}));
  auto refused = DecideJournalUse(old, "upgrade", "4.2", {"new", "a", "b", "c", "d"}, "j");
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_NE(std::string(refused.status().message()).find("--reset-journal"), std::string::npos);
}

}  // namespace
}  // namespace dr
