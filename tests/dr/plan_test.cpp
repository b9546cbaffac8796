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
      "wait-sync-start", "restart-sync-leader",   "restart-standby-pods", "final-check"};
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

TEST(UpgradePlanTest, From431TheTokenComesBeforeTheReinstallAndTheLegacyTokenGoesLast) {
  auto plan = BuildUpgradePlan("4.3.0", "4.3.1");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(IndexOf(*plan, "create-active-token") + 1, IndexOf(*plan, "reinstall-sync-plugin"));
  EXPECT_EQ(plan->steps.back().name, "remove-legacy-token");
  EXPECT_LT(IndexOf(*plan, "final-check"), IndexOf(*plan, "remove-legacy-token"));
  EXPECT_LT(IndexOf(*plan, "wait-sync-start"), IndexOf(*plan, "restart-standby-pods"));
  auto before = BuildUpgradePlan("4.2.0", "4.3.0");
  ASSERT_TRUE(before.ok());
  auto names = before->StepNames();
  EXPECT_EQ(std::count(names.begin(), names.end(), "create-active-token"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "remove-legacy-token"), 0);
}

TEST(FailoverPlanTest, TheDocumentedOrder) {
  Plan plan = BuildFailoverPlan(false, "acp.example.com");
  EXPECT_LT(IndexOf(plan, "check"), IndexOf(plan, "uninstall-sync-plugin"));
  EXPECT_LT(IndexOf(plan, "uninstall-sync-plugin"), IndexOf(plan, "switch-dns"));
  EXPECT_LT(IndexOf(plan, "remove-2379-forwarding"), IndexOf(plan, "switch-dns"));
  // §8.7 steps 6-7 before 8-9: DNS, console, then the pods, then warlock on workloads.
  EXPECT_LT(IndexOf(plan, "switch-dns"), IndexOf(plan, "check-dns"));
  EXPECT_LT(IndexOf(plan, "check-dns"), IndexOf(plan, "confirm-console"));
  EXPECT_LT(IndexOf(plan, "confirm-console"), IndexOf(plan, "restart-platform-pods"));
  EXPECT_LT(IndexOf(plan, "restart-platform-pods"), IndexOf(plan, "restart-warlock"));
  const Step& dns = plan.steps[IndexOf(plan, "check-dns")];
  EXPECT_TRUE(dns.manual);
  EXPECT_NE(dns.instruction.find("kubectl exec -it -n cpaas-system deployments/sentry -- "
                                 "nslookup acp.example.com"),
            std::string::npos)
      << dns.instruction;
  EXPECT_NE(dns.instruction.find("--restart-coredns"), std::string::npos);
  EXPECT_TRUE(plan.steps[IndexOf(plan, "switch-dns")].manual);
  EXPECT_FALSE(plan.steps[IndexOf(plan, "check")].manual);
  EXPECT_EQ(plan.steps[IndexOf(plan, "restart-warlock")].side, Side::kWorkloads);
  // Warlock runs on the workload clusters, so a lost primary keeps the step.
  Plan lost = BuildFailoverPlan(true);
  EXPECT_EQ(lost.StepNames(), plan.StepNames());

  Plan reenable = BuildReenablePlan();
  EXPECT_LT(IndexOf(reenable, "create-active-token"), IndexOf(reenable, "reinstall-sync-plugin"));
  EXPECT_LT(IndexOf(reenable, "reinstall-sync-plugin"), IndexOf(reenable, "wait-sync-start"));
  EXPECT_LT(IndexOf(reenable, "restart-sync-leader"), IndexOf(reenable, "restart-standby-pods"));
  EXPECT_LT(IndexOf(reenable, "restart-standby-pods"), IndexOf(reenable, "final-check"));
  EXPECT_EQ(reenable.steps.back().name, "remove-legacy-token");
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
  EXPECT_NE(text.find("1 of 12 steps done"), std::string::npos) << text;

  nlohmann::json json = RenderPlanJson(*plan, &journal);
  EXPECT_EQ(json["targetVersion"], "4.2.0");
  EXPECT_EQ(json["plugin"]["cluster"], "standby");
  ASSERT_EQ(json["steps"].size(), 12u);
  EXPECT_EQ(json["steps"][0]["state"], "done");
  EXPECT_EQ(json["steps"][1]["state"], "failed");
  EXPECT_EQ(json["steps"][2]["state"], "pending");
  EXPECT_EQ(json["steps"][4]["cluster"], "standby");
  EXPECT_EQ(json["steps"][6]["cluster"], "primary");
  EXPECT_FALSE(json["journal"]["complete"].get<bool>());
}

}  // namespace
}  // namespace dr
