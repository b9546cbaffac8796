// The Functional Components dialog's rules: default Targets, "Do not upgrade", Kubernetes
// optional, the 4.2.1 downgrade trap refused unless --force, unknown modules.
#include <gtest/gtest.h>

#include "upgrade/components.h"

namespace upgrade {
namespace {

std::vector<Component> Cluster() {
  return {{"global-a1", "acp-base", "", "4.2.1", "4.2.1", "Running", {"4.2.0"}},  // 4.2.1 trap
          {"global-b2", "logging", "", "4.2.0", "4.2.0", "Running", {"4.2.1", "4.3.0"}},
          {"global-c3", "kubernetes", "", "1.32.3", "1.32.3", "Running", {"1.33.1"}},
          {"global-d4", "gitops", "", "1.0.0", "1.0.0", "Running", {}}};
}

const PlannedComponent& Find(const std::vector<PlannedComponent>& plan, const std::string& module) {
  for (const PlannedComponent& planned : plan) {
    if (planned.component.module == module) return planned;
  }
  throw std::runtime_error("no " + module);
}

TEST(ComponentsPlanTest, DefaultsTakeTheNewestHigherVersionAndNeverDowngrade) {
  auto plan = PlanComponents(Cluster(), {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Find(*plan, "logging").target, "4.3.0");
  EXPECT_EQ(Find(*plan, "kubernetes").target, "1.33.1");  // optional, recommended
  EXPECT_EQ(Find(*plan, "acp-base").target, "");          // only a lower version is offered
  EXPECT_NE(Find(*plan, "acp-base").note.find("4.2.1 known issue"), std::string::npos);
  EXPECT_EQ(Find(*plan, "gitops").note, "up to date");
  const std::string table = RenderPlan("global", *plan);
  EXPECT_NE(table.find("Do not upgrade"), std::string::npos) << table;
}

TEST(ComponentsPlanTest, ExplicitChoices) {
  ComponentChoices choices;
  choices.set["logging"] = "4.2.1";
  choices.skip.insert("gitops");
  choices.no_kubernetes = true;
  auto plan = PlanComponents(Cluster(), choices);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Find(*plan, "logging").target, "4.2.1");
  EXPECT_EQ(Find(*plan, "kubernetes").target, "");
  EXPECT_EQ(Find(*plan, "gitops").target, "");

  ComponentChoices kubernetes;
  kubernetes.kubernetes = "1.33.1";
  EXPECT_EQ(Find(*PlanComponents(Cluster(), kubernetes), "kubernetes").target, "1.33.1");
}

TEST(ComponentsPlanTest, LowerTargetRefusedUnlessForced) {
  ComponentChoices choices;
  choices.set["acp-base"] = "4.2.0";
  auto refused = PlanComponents(Cluster(), choices);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_NE(refused.status().message().find("lower than its current version 4.2.1"),
            std::string::npos);
  EXPECT_NE(refused.status().message().find("--skip acp-base"), std::string::npos);
  choices.force = true;
  auto forced = PlanComponents(Cluster(), choices);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(Find(*forced, "acp-base").target, "4.2.0");
}

TEST(ComponentsPlanTest, UnofferedVersionsAndUnknownModules) {
  ComponentChoices choices;
  choices.set["logging"] = "9.9.9";
  auto unoffered = PlanComponents(Cluster(), choices);
  EXPECT_NE(unoffered.status().message().find("not an available version (4.2.1, 4.3.0)"),
            std::string::npos);
  ComponentChoices unknown;
  unknown.skip.insert("nope");
  auto missing = PlanComponents(Cluster(), unknown);
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_NE(missing.status().message().find("no component \"nope\""), std::string::npos);
  ComponentChoices both;
  both.set["logging"] = "4.3.0";
  both.skip.insert("logging");
  EXPECT_FALSE(PlanComponents(Cluster(), both).ok());
}

}  // namespace
}  // namespace upgrade
