// `ac adm upgrade` against the stand-in API server with the platform simulator playing the
// CVO and the ModuleInfo controller: overview, --to/--to-latest and their refusals, status
// (table/json/yaml, exit codes, --wait by watch and by polling where watch is not served,
// stalled), and the components dialog with the TopoLVM
// steps (including a crash between saving and restoring) and the plugin report.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "integration/upgrade_fixture.h"
#include "platform/resources.h"
#include "platform_sim/platform_simulator.h"

namespace upgrade_testing {
namespace {

using nlohmann::json;
using testing_support::CommandResult;

class UpgradeAcTest : public UpgradeClusterTest {
 protected:
  UpgradeAcTest() : sim_(GlobalConfig(), {.tick = std::chrono::milliseconds(100)}) {}
  ~UpgradeAcTest() override { sim_.Stop(); }

  void DeployCvo() {
    Put(global(), platform::kDeployments, platform::kPlatformNamespace,
        {{"metadata", {{"name", "cluster-version-operator"}}},
         {"spec",
          {{"selector", {{"matchLabels", {{"app", "cvo"}}}}},
           {"template",
            {{"metadata", {{"labels", {{"app", "cvo"}}}}},
             {"spec", {{"containers", {{{"name", "cvo"}, {"image", "r/cvo:v1"}}}}}}}}}}});
  }
  void PublishManifest(const std::string& version) {
    Put(global(), platform::kProductManifests, "",
        {{"metadata", {{"name", "acp-" + version}}},
         {"spec", {{"version", version}, {"image", "r/acp/product:v" + version}}}});
  }
  CommandResult Ac(const std::string& args) {
    return Run(UpgradeClusterTest::Ac() + "adm upgrade " + args + " --kubeconfig " + kubeconfig_);
  }
  json Shadow(const std::string& cluster) {
    return Get(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace, cluster);
  }
  json ModuleInfo(const std::string& name, const std::string& cluster, const std::string& module,
                  const std::string& version, const std::vector<std::string>& available) {
    json versions = json::array();
    for (const std::string& v : available) versions.push_back({{"version", v}});
    return {
        {"metadata",
         {{"name", name},
          {"labels", {{"cpaas.io/cluster-name", cluster}, {"cpaas.io/module-name", module}}}}},
        {"spec", {{"version", version}}},
        {"status", {{"version", version}, {"phase", "Running"}, {"availableVersions", versions}}}};
  }

  platform_sim::PlatformSimulator sim_;
};

TEST_F(UpgradeAcTest, RequestAndWatchAGlobalUpgrade) {
  SeedHealthyGlobal("4.2.1");
  DeployCvo();
  PublishManifest("4.3.0");
  PublishManifest("4.3.1");
  sim_.Tick();

  CommandResult overview = Ac("");
  ASSERT_EQ(overview.exit_code, 0) << overview.output;
  EXPECT_NE(overview.output.find("Current version:    4.2.1"), std::string::npos);
  EXPECT_NE(overview.output.find("  4.3.0         r/acp/product:v4.3.0"), std::string::npos)
      << overview.output;
  EXPECT_NE(overview.output.find("  4.3.1 "), std::string::npos);
  EXPECT_NE(overview.output.find("Preflight:          no result yet"), std::string::npos);

  CommandResult not_offered = Ac("--to=4.4.0");
  EXPECT_EQ(not_offered.exit_code, 10) << not_offered.output;
  EXPECT_EQ(Lines(not_offered.output), 1);
  EXPECT_NE(not_offered.output.find("not among the available updates of cluster global (4.3.0, "
                                    "4.3.1); pass --allow-explicit-upgrade"),
            std::string::npos)
      << not_offered.output;
  CommandResult downgrade = Ac("--to=4.2.0 --allow-explicit-upgrade");
  EXPECT_EQ(downgrade.exit_code, 10);
  EXPECT_NE(downgrade.output.find("already at 4.2.1"), std::string::npos) << downgrade.output;
  EXPECT_EQ(Ac("--allow-explicit-upgrade").exit_code, 2);
  EXPECT_TRUE(Shadow("global")["spec"].value("desiredUpdate", json()).is_null());

  // --allow-explicit-upgrade skips only the availableUpdates check.
  CommandResult explicit_request = Ac("--to=4.3.2 --allow-explicit-upgrade");
  ASSERT_EQ(explicit_request.exit_code, 0) << explicit_request.output;
  EXPECT_NE(explicit_request.output.find("upgrade to 4.3.2 requested (explicit: not in "
                                         "availableUpdates)"),
            std::string::npos)
      << explicit_request.output;
  EXPECT_EQ(Shadow("global")["spec"]["desiredUpdate"]["version"], "4.3.2");

  CommandResult latest = Ac("--cluster=global --to-latest");
  ASSERT_EQ(latest.exit_code, 0) << latest.output;
  EXPECT_NE(latest.output.find("upgrade to 4.3.1 requested"), std::string::npos);
  EXPECT_EQ(Shadow("global")["spec"]["desiredUpdate"]["version"], "4.3.1");
  EXPECT_EQ(Shadow("global")["spec"]["desiredUpdate"]["image"], "r/acp/product:v4.3.1");
  EXPECT_NE(Ac("--to-latest").output.find("already requested"), std::string::npos);

  // Requested, not yet picked up by the CVO.
  CommandResult waiting = Ac("status -o json");
  EXPECT_EQ(waiting.exit_code, 12) << waiting.output;  // in progress
  json document = json::parse(waiting.output);
  EXPECT_EQ(document["state"], "Progressing");
  EXPECT_NE(document["waitingOn"].get<std::string>().find("the CVO to start the upgrade to 4.3.1"),
            std::string::npos);

  sim_.Tick();  // the run starts: stages Pending
  sim_.Tick();  // Core Running
  CommandResult running = Ac("status");
  EXPECT_EQ(running.exit_code, 12) << running.output;
  // --wait that runs out while the upgrade is still in progress: timed out (13).
  EXPECT_EQ(Ac("status --wait --timeout 0").exit_code, 13);
  EXPECT_NE(running.output.find("Waiting on:  stage Core (Running)"), std::string::npos)
      << running.output;
  EXPECT_NE(running.output.find("STAGE"), std::string::npos);
  EXPECT_NE(running.output.find("Elapsed:"), std::string::npos);
  EXPECT_NE(running.output.find("4.3.1         Partial"), std::string::npos) << running.output;

  for (int tick = 0; tick < 10; ++tick) sim_.Tick();
  CommandResult done = Ac("status -o yaml");
  EXPECT_EQ(done.exit_code, 0) << done.output;
  EXPECT_NE(done.output.find("state: Completed"), std::string::npos) << done.output;
  EXPECT_NE(done.output.find("currentVersion: 4.3.1"), std::string::npos);
  EXPECT_NE(done.output.find("waitingOn: nothing"), std::string::npos);
  EXPECT_NE(Ac("").output.find("Current version:    4.3.1"), std::string::npos);
}

TEST_F(UpgradeAcTest, WorkloadUpgradeOrderingStallAndWait) {
  SeedHealthyGlobal("4.3.0");
  SeedWorkload("4.2.0");
  DeployCvo();
  PublishManifest("4.3.0");
  PublishManifest("4.4.0");
  sim_.Tick();

  // §1 rule 4: not beyond the global's version, even when offered and explicit.
  CommandResult ahead = Ac("--cluster=work-1 --to=4.4.0 --allow-explicit-upgrade");
  EXPECT_EQ(ahead.exit_code, 10) << ahead.output;
  EXPECT_NE(ahead.output.find("the global cluster is at 4.3.0: upgrade it to 4.4.0 before "
                              "cluster work-1"),
            std::string::npos)
      << ahead.output;
  CommandResult missing = Ac("--cluster=work-9 --to=4.3.0");
  EXPECT_EQ(missing.exit_code, 6);
  EXPECT_NE(missing.output.find("no ClusterVersionShadow cpaas-system/work-9: check --cluster"),
            std::string::npos);

  // §1 rule 6: with 20 workload clusters upgrading, a 21st must wait.
  for (int i = 0; i < 20; ++i) {
    Put(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace,
        {{"metadata", {{"name", "busy-" + std::to_string(i)}}},
         {"spec", {{"desiredUpdate", {{"version", "4.3.0"}}}}},
         {"status", {{"current", {{"version", "4.2.0"}}}}}});
  }
  CommandResult crowded = Ac("--cluster=work-1 --to=4.3.0");
  EXPECT_EQ(crowded.exit_code, 10) << crowded.output;
  EXPECT_NE(crowded.output.find("20 workload clusters are upgrading already"), std::string::npos)
      << crowded.output;
  ASSERT_TRUE(global()
                  .Delete(platform::kClusterVersionShadows, platform::kPlatformNamespace, "busy-0")
                  .ok());

  json cvsh = Shadow("work-1");
  cvsh["metadata"]["annotations"] = {{"platform-sim.test/stall-stage", "Aligned"}};
  ASSERT_TRUE(
      global().Update(platform::kClusterVersionShadows, platform::kPlatformNamespace, cvsh).ok());
  ASSERT_EQ(Ac("--cluster=work-1 --to=4.3.0").exit_code, 0);
  sim_.Start();
  CommandResult stalled = Ac("status --cluster=work-1 --wait --timeout 60 -o json");
  EXPECT_EQ(stalled.exit_code, 10) << stalled.output;  // blocked
  json document = json::parse(stalled.output);
  EXPECT_EQ(document["state"], "Stalled");
  EXPECT_NE(document["waitingOn"].get<std::string>().find("stage Aligned failed"),
            std::string::npos)
      << stalled.output;

  // Fixed: the run goes on and completes.
  cvsh = Shadow("work-1");
  cvsh["metadata"]["annotations"] = json::object();
  ASSERT_TRUE(
      global().Update(platform::kClusterVersionShadows, platform::kPlatformNamespace, cvsh).ok());
  int code = -1;
  for (int attempt = 0; attempt < 60 && code != 0; ++attempt) {
    code = Ac("status --cluster=work-1").exit_code;
    if (code != 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(code, 0);
  EXPECT_EQ(Shadow("work-1")["status"]["current"]["version"], "4.3.0");
}

TEST_F(UpgradeAcTest, ComponentsDialogWithTopolvmStepsSurvivingACrash) {
  SeedHealthyGlobal("4.1.0");
  SeedWorkload("3.18.1");
  Put(global(), platform::kModuleInfos, "",
      ModuleInfo("work-1-base1", "work-1", "acp-base", "3.18.1", {"4.1.0"}));
  Put(global(), platform::kModuleInfos, "",
      ModuleInfo("work-1-kube1", "work-1", "kubernetes", "1.30.5", {"1.31.2"}));
  Put(global(), platform::kModuleInfos, "",
      ModuleInfo("work-1-log1", "work-1", "logging", "4.1.2", {"4.1.0"}));  // the 4.2.1 trap
  Put(global(), platform::kModuleInfos, "",
      {{"metadata", {{"name", "work-1-topolvm-migrate-catalog-updater-7f2"}}},
       {"spec", {{"version", "3.18.1"}}}});
  for (const char* name :
       {"operatorhub-topolvm-operator.v4.0.3", "operatorhub-topolvm-operator.v4.1.0"}) {
    Put(work(), platform::kArtifactVersions, platform::kPlatformNamespace,
        {{"metadata",
          {{"name", name},
           {"labels", {{"cpaas.io/artifact-version", "operatorhub-topolvm-operator"}}}}},
         {"spec", {{"present", true}, {"tag", name}}}});
  }
  const std::string state = dir_.File("state");
  std::filesystem::create_directories(state);
  const std::string saved = state + "/topolvm-artifact-work-1.yaml";
  const std::string common =
      "components --cluster work-1 --release-version 4.1.0 --state-dir " + state + " ";

  CommandResult dry = Ac(common);
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("acp-base"), std::string::npos);
  EXPECT_NE(dry.output.find("only lower versions offered (4.1.0), not a downgrade"),
            std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("dry run: pass --apply"), std::string::npos);
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-base1")["spec"]["version"], "3.18.1");

  CommandResult trap = Ac(common + "--set logging=4.1.0 --apply");
  EXPECT_EQ(trap.exit_code, 10) << trap.output;
  EXPECT_EQ(Lines(trap.output), 1) << trap.output;
  EXPECT_NE(trap.output.find("lower than its current version 4.1.2"), std::string::npos);
  EXPECT_EQ(Ac(common + "--skip nosuch").exit_code, 2);
  EXPECT_TRUE(work()
                  .Get(platform::kArtifactVersions, platform::kPlatformNamespace,
                       "operatorhub-topolvm-operator.v4.1.0")
                  .ok());

  // Apply without waiting, and nothing moves the components yet: the run "crashes" here,
  // with TopoLVM's ArtifactVersion deleted and only in the save file.
  CommandResult applied = Ac(common + "--no-kubernetes --apply");
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_NE(
      applied.output.find("TopoLVM: saved ArtifactVersion operatorhub-topolvm-operator.v4.1.0 "
                          "to " +
                          saved),
      std::string::npos)
      << applied.output;
  EXPECT_NE(applied.output.find("TopoLVM: deleted ModuleInfo "
                                "work-1-topolvm-migrate-catalog-updater-7f2 on global"),
            std::string::npos);
  EXPECT_NE(applied.output.find("acp-base: 3.18.1 -> 4.1.0 requested"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(saved));
  EXPECT_TRUE(absl::IsNotFound(work()
                                   .Get(platform::kArtifactVersions, platform::kPlatformNamespace,
                                        "operatorhub-topolvm-operator.v4.1.0")
                                   .status()));
  EXPECT_TRUE(work()
                  .Get(platform::kArtifactVersions, platform::kPlatformNamespace,
                       "operatorhub-topolvm-operator.v4.0.3")
                  .ok());  // not the target minor
  EXPECT_FALSE(
      global().Get(platform::kModuleInfos, "", "work-1-topolvm-migrate-catalog-updater-7f2").ok());
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-kube1")["spec"]["version"], "1.30.5");

  // Run again before anything moved: the save file is kept and the deletion finished again.
  CommandResult again = Ac(common + "--no-kubernetes --apply");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("already saved in " + saved), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("acp-base: 4.1.0 already requested"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(saved));

  // The controllers work; the next run finds the components settled and restores TopoLVM.
  sim_.Start();
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (Get(global(), platform::kModuleInfos, "", "work-1-base1")["status"]["version"] == "4.1.0")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CommandResult resumed = Ac(common + "--no-kubernetes --apply --wait --timeout 60");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("TopoLVM: re-created ArtifactVersion "
                                "cpaas-system/operatorhub-topolvm-operator.v4.1.0"),
            std::string::npos)
      << resumed.output;
  EXPECT_FALSE(std::filesystem::exists(saved));
  const json restored = Get(work(), platform::kArtifactVersions, platform::kPlatformNamespace,
                            "operatorhub-topolvm-operator.v4.1.0");
  EXPECT_EQ(restored["metadata"]["labels"]["cpaas.io/artifact-version"],
            "operatorhub-topolvm-operator");
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-base1")["status"]["version"],
            "4.1.0");

  // Kubernetes, chosen explicitly now, follows too.
  CommandResult kubernetes = Ac(common +
                                "--skip logging --kubernetes 1.31.2 --apply --wait "
                                "--timeout 60");
  ASSERT_EQ(kubernetes.exit_code, 0) << kubernetes.output;
  EXPECT_NE(kubernetes.output.find("TopoLVM: no steps (no component leaves 3.18 in this run)"),
            std::string::npos)
      << kubernetes.output;
  EXPECT_NE(kubernetes.output.find("every component is at its Target"), std::string::npos);
  EXPECT_TRUE(work()
                  .Get(platform::kArtifactVersions, platform::kPlatformNamespace,
                       "operatorhub-topolvm-operator.v4.1.0")
                  .ok());
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-kube1")["status"]["version"],
            "1.31.2");
}

TEST_F(UpgradeAcTest, ComponentsAskForEachTargetOnATerminal) {
  SeedHealthyGlobal("4.3.0");
  SeedWorkload("4.2.0");
  Put(global(), platform::kModuleInfos, "",
      ModuleInfo("work-1-base1", "work-1", "acp-base", "4.2.0", {"4.3.0"}));
  Put(global(), platform::kModuleInfos, "",
      ModuleInfo("work-1-kube1", "work-1", "kubernetes", "1.32.3", {"1.33.1"}));
  Put(global(), platform::kModuleInfos, "",
      ModuleInfo("work-1-log1", "work-1", "logging", "4.2.0", {"4.2.5", "4.3.0"}));
  // A pseudo-terminal (script(1)) answers: acp-base "-" (Do not upgrade), Kubernetes Enter
  // (the proposed 1.33.1), logging 4.2.5.
  CommandResult asked = testing_support::RunCommand(
      "printf -- '-\\n\\n4.2.5\\n' | script -qec \"env -u KUBECONFIG HOME=" + dir_.path() + " " +
      UpgradeClusterTest::Ac() + "adm upgrade components --cluster work-1 --apply --kubeconfig " +
      kubeconfig_ + "\" /dev/null");
  EXPECT_EQ(asked.exit_code, 0) << asked.output;
  EXPECT_NE(asked.output.find("Target for logging (current 4.2.0, available 4.2.5, 4.3.0) [4.3.0"),
            std::string::npos)
      << asked.output;
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-base1")["spec"]["version"], "4.2.0");
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-kube1")["spec"]["version"], "1.33.1");
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-log1")["spec"]["version"], "4.2.5");
}

TEST_F(UpgradeAcTest, GlobalComponentsReportTheRequiredPlugins) {
  SeedHealthyGlobal("4.1.0");
  Put(global(), platform::kModuleInfos, "",
      ModuleInfo("global-docs1", "global", "acp-product-docs", "4.1.0", {}));
  CommandResult report = Ac("components --apply");
  EXPECT_EQ(report.exit_code, 10) << report.output;  // Cluster Enhancer is not published
  EXPECT_NE(report.output.find("nothing to upgrade"), std::string::npos);
  EXPECT_NE(report.output.find("Alauda Container Platform Product Docs: installed (ModuleInfo "
                               "global-docs1, version 4.1.0)"),
            std::string::npos)
      << report.output;
  EXPECT_NE(report.output.find("Alauda Container Platform Cluster Enhancer: NOT installed — "
                               "no ModuleConfig of a *cluster-enhancer* module is published"),
            std::string::npos)
      << report.output;
  // Published: installed by the next run, then left alone.
  Put(global(), platform::kModuleConfigs, "",
      {{"metadata",
        {{"name", "acp-cluster-enhancer-4.1.1"},
         {"labels", {{"cpaas.io/module-name", "acp-cluster-enhancer"}}}}},
       {"spec", {{"version", "4.1.1"}}}});
  CommandResult installed = Ac("components --apply");
  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  EXPECT_NE(installed.output.find("Alauda Container Platform Cluster Enhancer: installed now "
                                  "(ModuleInfo global-acp-cluster-enhancer, version 4.1.1)"),
            std::string::npos)
      << installed.output;
  const json info = Get(global(), platform::kModuleInfos, "", "global-acp-cluster-enhancer");
  EXPECT_EQ(info["spec"]["version"], "4.1.1");
  EXPECT_EQ(info["metadata"]["labels"]["cpaas.io/cluster-name"], "global");
  CommandResult again = Ac("components --apply");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("Alauda Container Platform Cluster Enhancer: installed (ModuleInfo "
                              "global-acp-cluster-enhancer"),
            std::string::npos)
      << again.output;
  CommandResult unknown = Ac("components --cluster nope");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("cluster nope has no components"), std::string::npos);
}

// Era B console step 1 (our reading): the ResourcePatches blocking the target are listed and
// nothing is requested until they are acknowledged (exit 11); --acknowledge writes the
// exemption annotation and requests.
TEST_F(UpgradeAcTest, RequestListsBlockingResourcePatchesUntilAcknowledged) {
  SeedHealthyGlobal("4.2.1");
  DeployCvo();
  PublishManifest("4.3.0");
  sim_.Tick();
  Put(global(), platform::kResourcePatches, "",
      {{"metadata", {{"name", "rp-ingress"}}}, {"spec", json::object()}});
  Put(global(), platform::kResourcePatches, "",
      {{"metadata",
        {{"name", "rp-exempt"}, {"annotations", {{"config.cpaas.io/exempt-for-ver", "4.3"}}}}},
       {"spec", json::object()}});
  Put(global(), platform::kResourcePatches, "",
      {{"metadata", {{"name", "rp-other"}, {"labels", {{"cpaas.io/cluster-name", "work-9"}}}}},
       {"spec", json::object()}});
  CommandResult waiting = Ac("--to=4.3.0");
  EXPECT_EQ(waiting.exit_code, 11) << waiting.output;
  EXPECT_NE(waiting.output.find("ResourcePatches that block the upgrade to 4.3.0 (the RPCH "
                                "list):\n  rp-ingress\n"),
            std::string::npos)
      << waiting.output;
  EXPECT_EQ(waiting.output.find("rp-exempt"), std::string::npos) << waiting.output;
  EXPECT_EQ(waiting.output.find("rp-other"), std::string::npos) << waiting.output;
  EXPECT_TRUE(Shadow("global")["spec"].value("desiredUpdate", json()).is_null());
  CommandResult acknowledged = Ac("--to=4.3.0 --acknowledge");
  ASSERT_EQ(acknowledged.exit_code, 0) << acknowledged.output;
  EXPECT_NE(acknowledged.output.find("acknowledged 1 ResourcePatch(es): "
                                     "config.cpaas.io/exempt-for-ver=4.3.0"),
            std::string::npos)
      << acknowledged.output;
  EXPECT_EQ(Get(global(), platform::kResourcePatches, "",
                "rp-ingress")["metadata"]["annotations"]["config.cpaas.io/exempt-for-ver"],
            "4.3.0");
  EXPECT_EQ(Shadow("global")["spec"]["desiredUpdate"]["version"], "4.3.0");
}

// §6 Era A: a workload cluster's custom configuration overrides are shown and must be confirmed
// (exit 11 without --confirm-overrides) before the component dialog applies anything.
TEST_F(UpgradeAcTest, WorkloadOverridesAreConfirmedBeforeTheDialog) {
  SeedHealthyGlobal("4.1.0");
  SeedWorkload("4.0.3");
  json logging = ModuleInfo("work-1-log1", "work-1", "logging", "4.0.3", {"4.1.0"});
  logging["spec"]["valuesOverride"] = {{"replicas", 3}, {"retentionDays", 30}};
  Put(global(), platform::kModuleInfos, "", logging);
  const std::string common = "components --cluster work-1 --release-version 4.1.0 --state-dir " +
                             dir_.path() + " --no-kubernetes --apply ";
  CommandResult waiting = Ac(common);
  EXPECT_EQ(waiting.exit_code, 11) << waiting.output;
  EXPECT_NE(waiting.output.find("custom configuration overrides on cluster work-1:\n  logging "
                                "(ModuleInfo work-1-log1): spec.valuesOverride sets replicas, "
                                "retentionDays"),
            std::string::npos)
      << waiting.output;
  EXPECT_NE(waiting.output.find("--confirm-overrides"), std::string::npos);
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-log1")["spec"]["version"], "4.0.3");
  CommandResult confirmed = Ac(common + "--confirm-overrides");
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.output;
  EXPECT_NE(confirmed.output.find("custom configuration overrides confirmed"), std::string::npos);
  EXPECT_EQ(Get(global(), platform::kModuleInfos, "", "work-1-log1")["spec"]["version"], "4.1.0");
}

// Runs `command` (stdout and stderr together) and hands its output over line by line while it
// runs: `on_line` returning true means "seen what I waited for"; `after` then runs once.
struct StreamedRun {
  int exit_code = -1;
  std::string output;
  bool seen = false;
};
StreamedRun RunStreaming(const std::string& command,
                         const std::function<bool(const std::string&)>& on_line,
                         const std::function<void()>& after) {
  StreamedRun run;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) {
    const std::string line = buffer;
    run.output += line;
    if (!run.seen && on_line(line)) {
      run.seen = true;
      after();
    }
  }
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

json InProgressShadow(const std::string& from, const std::string& to) {
  return {{"metadata", {{"name", "global"}}},
          {"spec", {{"desiredUpdate", {{"version", to}}}}},
          {"status", {{"current", {{"version", from}}}}}};
}

TEST_F(UpgradeAcTest, StatusWaitWatchesTheShadowAndSeesALaterChange) {
  SeedHealthyGlobal("4.2.1");
  Put(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace,
      InProgressShadow("4.2.1", "4.3.1"));
  // The change is written once the command says it watches (it watches from the
  // resourceVersion it read, so nothing written after that read can be missed).
  StreamedRun run = RunStreaming(
      "env -u KUBECONFIG HOME='" + dir_.path() + "' " + UpgradeClusterTest::Ac() +
          "adm upgrade status --wait --timeout 60 -v --kubeconfig " + kubeconfig_,
      [](const std::string& line) {
        return line.find(
                   "watching ClusterVersionShadow cpaas-system/global from "
                   "resourceVersion ") != std::string::npos;
      },
      [&] {
        json done = InProgressShadow("4.3.1", "4.3.1");
        done["status"]["history"] = {{{"version", "4.3.1"}, {"state", "Completed"}}};
        Put(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace, done);
      });
  ASSERT_TRUE(run.seen) << run.output;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Completed"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("polling"), std::string::npos) << run.output;
  // The watch delivered the change: it was not read again after the watch ended.
  EXPECT_EQ(run.output.find("again"), std::string::npos) << run.output;
}

// A server that serves the ClusterVersionShadow but answers `watch_code` to ?watch=true: the
// upgrade completes on the third read.
class NoWatchServer {
 public:
  explicit NoWatchServer(int watch_code) {
    server_.Get(".*", [this, watch_code](const httplib::Request& request,
                                         httplib::Response& response) {
      if (request.has_param("watch")) {
        watch_requests_++;
        response.status = watch_code;
        response.set_content(json{{"kind", "Status"},
                                  {"status", "Failure"},
                                  {"message", "watch is not served here"},
                                  {"code", watch_code}}
                                 .dump(),
                             "application/json");
        return;
      }
      if (request.path !=
          "/apis/upgrade.alauda.io/v1alpha1/namespaces/cpaas-system/clusterversionshadows/global") {
        response.status = 404;
        return;
      }
      const int read = ++reads_;
      json cvsh = InProgressShadow(read >= 3 ? "4.3.1" : "4.2.1", "4.3.1");
      if (read >= 3) cvsh["status"]["history"] = {{{"version", "4.3.1"}, {"state", "Completed"}}};
      cvsh["metadata"]["resourceVersion"] = std::to_string(read);
      response.set_content(cvsh.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (port_ > 0 && !server_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~NoWatchServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int reads() const { return reads_; }
  int watch_requests() const { return watch_requests_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> reads_{0}, watch_requests_{0};
};

TEST(UpgradeAcNoWatchTest, StatusWaitFallsBackToPollingWhenWatchIsNotServed) {
  for (int code : {404, 405}) {
    NoWatchServer server(code);
    ASSERT_GT(server.port(), 0);
    testing_support::TempDir dir;
    const std::string kubeconfig = dir.File("kubeconfig");
    std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\nclusters:\n- name: global\n"
                              << "  cluster:\n    server: http://127.0.0.1:" << server.port()
                              << "\nusers:\n- name: admin\n  user:\n    token: t0ken\n"
                              << "contexts:\n- name: global\n  context:\n    cluster: global\n"
                              << "    user: admin\ncurrent-context: global\n";
    CommandResult run = testing_support::RunCommand(
        "env -u KUBECONFIG HOME='" + dir.path() + "' " + std::string(AC_BINARY) +
        " adm upgrade status --wait --timeout 60 -v --kubeconfig " + kubeconfig + " 2>&1");
    EXPECT_EQ(run.exit_code, 0) << code << ": " << run.output;
    EXPECT_NE(run.output.find("Completed"), std::string::npos) << run.output;
    EXPECT_EQ(server.watch_requests(), 1) << run.output;  // tried once, then polled
    EXPECT_EQ(server.reads(), 3) << run.output;
    EXPECT_NE(run.output.find("the server does not serve watch here"), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("polling every 500 ms instead"), std::string::npos) << run.output;
    // Said once, at -v.
    const size_t first = run.output.find("polling every 500 ms");
    EXPECT_EQ(run.output.find("polling every 500 ms", first + 1), std::string::npos);
  }
}

}  // namespace
}  // namespace upgrade_testing
