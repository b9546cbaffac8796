// The DR plans: step order (§5, §1 rules 2-3), where the plugin is for a source version,
// and the text/JSON renderings with journal state.
#include "dr/plan.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace dr {
namespace {

size_t IndexOf(const Plan& plan, const std::string& name) {
  auto names = plan.StepNames();
  auto found = std::find(names.begin(), names.end(), name);
  EXPECT_NE(found, names.end()) << name;
  return static_cast<size_t>(found - names.begin());
}

TEST(UpgradePlanTest, StepsFollowTheDrProcedureOrder) {
  auto plan = BuildUpgradePlan("4.1.0", "4.2.0");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::vector<std::string> expected = {
      "check",           "uninstall-sync-plugin", "sync-images",    "upgrade-standby",
      "verify-standby",  "upgrade-primary",       "verify-primary", "reinstall-sync-plugin",
      "wait-sync-start", "restart-sync-leader",   "final-check"};
  EXPECT_EQ(plan->StepNames(), expected);
  // Standby strictly before the primary, both verified before the sync comes back.
  EXPECT_LT(IndexOf(*plan, "verify-standby"), IndexOf(*plan, "upgrade-primary"));
  EXPECT_LT(IndexOf(*plan, "verify-primary"), IndexOf(*plan, "reinstall-sync-plugin"));
  EXPECT_LT(IndexOf(*plan, "check"), IndexOf(*plan, "uninstall-sync-plugin"));
  for (const Step& step : plan->steps) {
    EXPECT_FALSE(step.manual) << step.name;
    EXPECT_TRUE(step.side == Side::kPrimary || step.side == Side::kStandby ||
                step.side == Side::kBoth)
        << step.name << " touches something other than the two global clusters";
  }
}

TEST(UpgradePlanTest, PluginSideDependsOnTheSourceVersion) {
  auto from_318 = BuildUpgradePlan("3.18.1", "4.0.0");
  ASSERT_TRUE(from_318.ok()) << from_318.status();
  EXPECT_EQ(from_318->plugin.side, Side::kPrimary);
  EXPECT_EQ(from_318->plugin.module_name, "EtcdSync");
  EXPECT_EQ(from_318->steps[1].side, Side::kPrimary);

  auto from_40 = BuildUpgradePlan("v4.0.2", "4.1.0");
  ASSERT_TRUE(from_40.ok()) << from_40.status();
  EXPECT_EQ(from_40->plugin.side, Side::kStandby);
  EXPECT_EQ(from_40->plugin.module_name, "etcd-sync");
  EXPECT_EQ(from_40->steps[1].side, Side::kStandby);
}

TEST(UpgradePlanTest, RefusesWhatItCannotDo) {
  auto older = BuildUpgradePlan("3.16.2", "4.0.0");
  EXPECT_FALSE(older.ok());
  EXPECT_NE(std::string(older.status().message()).find("helm"), std::string::npos);
  auto same = BuildUpgradePlan("4.2.0", "4.2.0");
  EXPECT_FALSE(same.ok());
  EXPECT_NE(std::string(same.status().message()).find("not newer"), std::string::npos);
  auto downgrade = BuildUpgradePlan("4.2.0", "4.1.3");
  EXPECT_FALSE(downgrade.ok());
  auto unknown = BuildUpgradePlan("", "4.2.0");
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(std::string(unknown.status().message()).find("--from"), std::string::npos);
}

TEST(FailoverPlanTest, ManualStepsAndTheLostPrimary) {
  Plan plan = BuildFailoverPlan(false);
  EXPECT_LT(IndexOf(plan, "check"), IndexOf(plan, "uninstall-sync-plugin"));
  EXPECT_LT(IndexOf(plan, "uninstall-sync-plugin"), IndexOf(plan, "switch-dns"));
  EXPECT_LT(IndexOf(plan, "remove-2379-forwarding"), IndexOf(plan, "switch-dns"));
  EXPECT_TRUE(plan.steps[IndexOf(plan, "switch-dns")].manual);
  EXPECT_FALSE(plan.steps[IndexOf(plan, "check")].manual);
  IndexOf(plan, "restart-warlock");
  Plan lost = BuildFailoverPlan(true);
  auto names = lost.StepNames();
  EXPECT_EQ(std::count(names.begin(), names.end(), "restart-warlock"), 0);

  Plan reenable = BuildReenablePlan();
  EXPECT_LT(IndexOf(reenable, "reinstall-sync-plugin"), IndexOf(reenable, "wait-sync-start"));
  EXPECT_EQ(reenable.steps.back().name, "final-check");
}

TEST(PlanRenderingTest, ShowsGatesAndJournalState) {
  auto plan = BuildUpgradePlan("4.1.0", "4.2.0");
  ASSERT_TRUE(plan.ok());
  Journal journal = NewJournal("upgrade", plan->StepNames(), "4.1.0", "4.2.0");
  journal.steps[0].state = StepState::kDone;
  journal.steps[0].seconds = 1.5;
  journal.steps[1].state = StepState::kFailed;
  journal.steps[1].message = "monitor still answers";
  const std::string text = RenderPlanText(*plan, &journal);
  EXPECT_NE(text.find("DR upgrade 4.1.0 -> 4.2.0"), std::string::npos) << text;
  EXPECT_NE(text.find("[x]  1. check"), std::string::npos) << text;
  EXPECT_NE(text.find("[!]  2. uninstall-sync-plugin"), std::string::npos) << text;
  EXPECT_NE(text.find("monitor still answers"), std::string::npos) << text;
  EXPECT_NE(text.find("gate: etcd-sync-monitor /check: 0 missed and 0 surplus keys"),
            std::string::npos);
  EXPECT_NE(text.find("1 of 11 steps done"), std::string::npos) << text;

  nlohmann::json json = RenderPlanJson(*plan, &journal);
  EXPECT_EQ(json["targetVersion"], "4.2.0");
  EXPECT_EQ(json["plugin"]["cluster"], "standby");
  ASSERT_EQ(json["steps"].size(), 11u);
  EXPECT_EQ(json["steps"][0]["state"], "done");
  EXPECT_EQ(json["steps"][1]["state"], "failed");
  EXPECT_EQ(json["steps"][2]["state"], "pending");
  EXPECT_EQ(json["steps"][4]["cluster"], "standby");
  EXPECT_EQ(json["steps"][6]["cluster"], "primary");
  EXPECT_FALSE(json["journal"]["complete"].get<bool>());
}

}  // namespace
}  // namespace dr
