// The Functional Components dialog's rules: default Targets, "Do not upgrade", Kubernetes
// optional, the 4.2.1 downgrade trap refused unless --force, unknown modules.
#include <gtest/gtest.h>

#include "upgrade/components.h"
#include "upgrade/upgrade_request.h"

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

// §4.1 steps 8-9: Product Docs on 4.0/4.1, Cluster Enhancer on 4.1/4.2; installed ones are left
// alone, missing ones get the published ModuleConfig of the target's minor (else the newest).
TEST(RequiredPluginsTest, InstallsWhatTheTargetNeedsAndIsMissing) {
  auto keys = [](const std::string& target) {
    std::vector<std::string> out;
    for (const RequiredPlugin& plugin : RequiredPluginsFor(target)) out.push_back(plugin.key);
    return out;
  };
  EXPECT_EQ(keys("4.0.3"), (std::vector<std::string>{"product-docs"}));
  EXPECT_EQ(keys("v4.1.0"), (std::vector<std::string>{"product-docs", "cluster-enhancer"}));
  EXPECT_EQ(keys("4.2.2"), (std::vector<std::string>{"cluster-enhancer"}));
  EXPECT_TRUE(keys("4.3.0").empty());

  auto config = [](const std::string& module, const std::string& version) {
    return nlohmann::json{
        {"metadata",
         {{"name", module + "-" + version}, {"labels", {{"cpaas.io/module-name", module}}}}},
        {"spec", {{"version", version}}}};
  };
  const nlohmann::json configs = {
      {"items",
       {config("acp-cluster-enhancer", "4.1.2"), config("acp-cluster-enhancer", "4.2.0"),
        config("acp-cluster-enhancer", "4.1.0")}}};
  std::vector<Component> global = {
      {"global-docs1", "acp-product-docs", "", "4.1.0", "4.1.0", "Running", {}}};
  auto actions = PlanRequiredPlugins("4.1.0", global, configs);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].installed_as, "global-docs1");
  EXPECT_EQ(actions[1].installed_as, "");
  EXPECT_EQ(actions[1].module, "acp-cluster-enhancer");
  EXPECT_EQ(actions[1].version, "4.1.2");  // the target's minor, newest
  const nlohmann::json info = PluginModuleInfo(actions[1]);
  EXPECT_EQ(info["metadata"]["name"], "global-acp-cluster-enhancer");
  EXPECT_EQ(info["metadata"]["labels"]["cpaas.io/module-type"], "plugin");
  EXPECT_EQ(info["spec"]["version"], "4.1.2");
  EXPECT_EQ(PlanRequiredPlugins("4.2.0", {}, configs)[0].version, "4.2.0");
  EXPECT_EQ(PlanRequiredPlugins("4.0.0", {}, configs)[0].version, "");  // docs not published
}

TEST(AcknowledgeTest, TheRpchListIsTheResourcePatchesNotExemptForTheTarget) {
  auto patch = [](const std::string& name, const std::string& exempt, const std::string& cluster) {
    nlohmann::json out = {{"metadata", {{"name", name}}}};
    if (!exempt.empty()) out["metadata"]["annotations"]["config.cpaas.io/exempt-for-ver"] = exempt;
    if (!cluster.empty()) out["metadata"]["labels"]["cpaas.io/cluster-name"] = cluster;
    return out;
  };
  const nlohmann::json patches = {
      {"items",
       {patch("a", "", ""), patch("b", "4.3", ""), patch("c", "4.3.0", ""), patch("d", "4.2", ""),
        patch("e", "", "work-1"), patch("f", "", "global")}}};
  EXPECT_EQ(BlockingResourcePatches(patches, "global", "4.3.0"),
            (std::vector<std::string>{"a", "d", "f"}));
  EXPECT_EQ(BlockingResourcePatches(patches, "work-1", "4.3.0"),
            (std::vector<std::string>{"a", "d", "e"}));
}

TEST(OverridesTest, WorkloadComponentsWithValuesOverrideAreListed) {
  std::vector<Component> components = Cluster();
  EXPECT_EQ(RenderOverrides("work-1", components), "");
  components[1].overrides = {"replicas"};
  EXPECT_EQ(RenderOverrides("work-1", components),
            "custom configuration overrides on cluster work-1:\n  logging (ModuleInfo global-b2): "
            "spec.valuesOverride sets replicas\n");
  EXPECT_EQ(RenderOverrides("global", components), "");
}

}  // namespace
}  // namespace upgrade
