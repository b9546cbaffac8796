// `bash upgrade.sh --preflight` (global) and `--cluster=<c> --preflight` (workload, through
// the platform proxy) against the stand-in API server: Summary/Checks output, exit codes,
// status.preflight on the cvsh, cvo-config, admin gates/acks, and one-line mistakes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "apiserver/platform_table.h"
#include "integration/upgrade_fixture.h"
#include "platform/resources.h"

namespace upgrade_testing {
namespace {

using nlohmann::json;

class UpgradePreflightTest : public UpgradeClusterTest {
 protected:
  UpgradePreflightTest() {
    SeedHealthyGlobal("4.2.1");
    release_ = WriteRelease("4.3.0");
  }

  testing_support::CommandResult Preflight(const std::string& flags = "") {
    // The node-local checks measure a tree of our own (no control-plane manifest: they say
    // where they must run, as warnings).
    return Run("UPGRADE_NODE_ROOT=" + dir_.File("node-root") + " " + UpgradeSh() +
               "--preflight --kubeconfig " + kubeconfig_ + " --release " + release_ + " " + flags);
  }

  json RecordedPreflight(const std::string& cluster = "global") {
    return Get(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace,
               cluster)["status"]["preflight"];
  }

  std::string release_;
};

TEST_F(UpgradePreflightTest, HealthyGlobalPassesAndIsRecorded) {
  auto result = Preflight();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Summary\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("\nChecks\n"), std::string::npos);
  // 14 + CostManagementUninstalled; MinioFreeSpace and ExtractionDiskFreeSpace warn that
  // they must run on a global control-plane node.
  EXPECT_NE(result.output.find("Result:           Passed (15 passed, 0 retry, 0 failed, 2 "
                               "warnings)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("Current version:  4.2.1"), std::string::npos);
  EXPECT_NE(result.output.find("Desired version:  4.3.0"), std::string::npos);

  const json preflight = RecordedPreflight();
  EXPECT_EQ(preflight["result"], "Passed");
  EXPECT_EQ(preflight["targetVersion"], "4.3.0");
  EXPECT_FALSE(preflight.value("observedAt", "").empty());
  ASSERT_EQ(preflight["checks"].size(), 17u);
  for (const json& check : preflight["checks"]) {
    if (check["policy"] == "Advisory") {
      EXPECT_EQ(check["reason"], "NotOnControlPlaneNode") << check.dump();
      continue;
    }
    EXPECT_EQ(check["state"], "Passed") << check.dump();
    EXPECT_EQ(check["policy"], "Required");
  }
  const json cvsh =
      Get(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  bool ready = false;
  for (const json& condition : cvsh["status"]["conditions"]) {
    if (condition["type"] == "PreflightReady") ready = condition["status"] == "True";
  }
  EXPECT_TRUE(ready) << cvsh.dump();

  // -o json: the same result for scripts.
  auto as_json = Preflight("--output json");
  ASSERT_EQ(as_json.exit_code, 0) << as_json.output;
  const json document = json::parse(as_json.output, nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << as_json.output;
  EXPECT_EQ(document["result"], "Passed");
  EXPECT_EQ(document["currentVersion"], "4.2.1");
  EXPECT_EQ(document["checks"].size(), 17u);

  // KUBECONFIG instead of --kubeconfig (the DR runbook's form) gives the same answer.
  auto from_env =
      Run("KUBECONFIG=" + kubeconfig_ + " " + UpgradeSh() + "--preflight --release " + release_);
  EXPECT_EQ(from_env.exit_code, 0) << from_env.output;
}

TEST_F(UpgradePreflightTest, AdminGateBlocksUntilAcknowledged) {
  Put(global(), platform::kConfigMaps, platform::kPlatformNamespace,
      {{"metadata", {{"name", "admin-gates"}}},
       {"data", {{"ack-4.3-kubernetes-1.34-runtime", "containerd 2 changes the runtime"}}}});
  auto gated = Preflight();
  EXPECT_EQ(gated.exit_code, 7) << gated.output;
  EXPECT_NE(gated.output.find("AdminAckRequired"), std::string::npos);
  EXPECT_NE(gated.output.find("ack-4.3-kubernetes-1.34-runtime"), std::string::npos);
  EXPECT_EQ(RecordedPreflight()["result"], "Failed");

  Put(global(), platform::kConfigMaps, platform::kPlatformNamespace,
      {{"metadata", {{"name", "admin-acks"}}},
       {"data", {{"ack-4.3-kubernetes-1.34-runtime", "true"}}}});
  auto acked = Preflight();
  EXPECT_EQ(acked.exit_code, 0) << acked.output;
  EXPECT_EQ(RecordedPreflight()["result"], "Passed");
}

TEST_F(UpgradePreflightTest, ResourcePatchFailsUntilExemptedOrDisabledInCvoConfig) {
  Put(global(), platform::kResourcePatches, "",
      {{"metadata", {{"name", "apiserver-flags"}}}, {"spec", json::object()}});
  auto blocked = Preflight();
  EXPECT_EQ(blocked.exit_code, 7) << blocked.output;
  EXPECT_NE(blocked.output.find("UnexemptResourcePatches"), std::string::npos) << blocked.output;
  EXPECT_NE(blocked.output.find("kubectl annotate resourcepatch apiserver-flags "
                                "config.cpaas.io/exempt-for-ver=4.3.0"),
            std::string::npos);

  Put(global(), platform::kConfigMaps, platform::kPlatformNamespace,
      {{"metadata", {{"name", "cvo-config"}}},
       {"data", {{"preflight", "disabled:\n  - ResourcePatchUpgradeable\n"}}}});
  auto disabled = Preflight();
  EXPECT_EQ(disabled.exit_code, 0) << disabled.output;
  EXPECT_NE(disabled.output.find("Disabled:         ResourcePatchUpgradeable"), std::string::npos);
  EXPECT_EQ(RecordedPreflight()["disabled"], json::array({"ResourcePatchUpgradeable"}));

  Put(global(), platform::kConfigMaps, platform::kPlatformNamespace,
      {{"metadata", {{"name", "cvo-config"}}}, {"data", {{"preflight", "disabled: [oops"}}}});
  auto malformed = Preflight();
  EXPECT_EQ(malformed.exit_code, 6) << malformed.output;
  EXPECT_EQ(Lines(malformed.output), 1) << malformed.output;
  EXPECT_NE(malformed.output.find("cpaas-system/cvo-config"), std::string::npos);
}

TEST_F(UpgradePreflightTest, ModulesMovingAreRetryNotPassed) {
  json info = Get(global(), platform::kModuleInfos, "", "global-base1");
  info["spec"]["version"] = "4.2.2";  // requested, status still 4.2.1
  Put(global(), platform::kModuleInfos, "", info);
  auto retry = Preflight();
  EXPECT_EQ(retry.exit_code, 8) << retry.output;
  EXPECT_NE(retry.output.find("Result:           Retry"), std::string::npos) << retry.output;
  EXPECT_EQ(RecordedPreflight()["result"], "Retry");
}

TEST_F(UpgradePreflightTest, WorkloadClusterThroughThePlatformProxy) {
  SeedWorkload("4.2.0");
  auto healthy = Preflight("--cluster=work-1");
  ASSERT_EQ(healthy.exit_code, 0) << healthy.output;
  // Its target is the global's version; rule 5 is a global check, GlobalVersionReached is not.
  EXPECT_NE(healthy.output.find("Desired version:  4.2.1 (from the global cluster's version)"),
            std::string::npos)
      << healthy.output;
  EXPECT_NE(healthy.output.find("GlobalVersionReached"), std::string::npos);
  EXPECT_EQ(healthy.output.find("WorkloadClustersKubernetesCompatible"), std::string::npos);
  EXPECT_EQ(RecordedPreflight("work-1")["result"], "Passed");

  // A Docker node on the workload cluster (its own etcd) fails it, by name.
  SeedNode(*this, work(), "work-docker-1", "v1.32.3", "docker://20.10.24");
  auto docker = Preflight("--cluster=work-1");
  EXPECT_EQ(docker.exit_code, 7) << docker.output;
  EXPECT_NE(docker.output.find("nodes still run Docker: work-docker-1"), std::string::npos)
      << docker.output;

  // Asking for more than the global has reached breaks §1 rule 4.
  auto ahead = Preflight("--cluster=work-1 --to 4.3.0");
  EXPECT_EQ(ahead.exit_code, 7);
  EXPECT_NE(ahead.output.find("GlobalNotUpgraded"), std::string::npos) << ahead.output;

  // ...and the global preflight now sees work-1's Kubernetes (rule 5) as fine (1.32).
  EXPECT_EQ(Preflight().exit_code, 0);
}

TEST_F(UpgradePreflightTest, WorkloadKubernetesOutsideRangeBlocksGlobal) {
  SeedWorkload("4.2.0", "v1.30.5");
  auto blocked = Preflight();
  EXPECT_EQ(blocked.exit_code, 7) << blocked.output;
  EXPECT_NE(blocked.output.find("work-1 (v1.30.5)"), std::string::npos) << blocked.output;
}

TEST_F(UpgradePreflightTest, DisasterRecoveryStandbyFirst) {
  // The standby global cluster: its own etcd and stand-in, still at 4.2.1.
  testing_support::EtcdMember standby_etcd(dir_.path(), "standby");
  apiserver::ApiServerOptions options;
  options.resources = apiserver::PlatformResourceTable();
  options.token = common::Secret("standby-token");
  apiserver::ApiServer standby(standby_etcd.client(), std::move(options));
  ASSERT_TRUE(standby.Start().ok());
  k8s::RestConfig config;
  config.server = standby.url();
  config.token = common::Secret("standby-token");
  k8s::RestClient standby_client(config);
  Put(standby_client, platform::kClusterVersionShadows, platform::kPlatformNamespace,
      {{"metadata", {{"name", "global"}}},
       {"spec", json::object()},
       {"status", {{"current", {{"version", "4.2.1"}}}}}});
  const std::string standby_kubeconfig = dir_.File("standby.kubeconfig");
  std::ofstream(standby_kubeconfig)
      << "apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: " << standby.url()
      << "\nusers:\n- name: u\n  user:\n    token: standby-token\ncontexts:\n- name: x\n"
      << "  context:\n    cluster: c\n    user: u\ncurrent-context: x\n";

  auto primary_first = Preflight("--dr-standby-kubeconfig " + standby_kubeconfig);
  EXPECT_EQ(primary_first.exit_code, 7) << primary_first.output;
  EXPECT_NE(primary_first.output.find("upgrade the standby to 4.3.0 first"), std::string::npos)
      << primary_first.output;

  // Once the standby is at 4.3.0, the primary may go.
  Put(standby_client, platform::kClusterVersionShadows, platform::kPlatformNamespace,
      {{"metadata", {{"name", "global"}}},
       {"spec", json::object()},
       {"status", {{"current", {{"version", "4.3.0"}}}}}});
  auto standby_done = Preflight("--dr-standby-kubeconfig " + standby_kubeconfig);
  EXPECT_EQ(standby_done.exit_code, 0) << standby_done.output;
  EXPECT_NE(standby_done.output.find("DisasterRecoveryOrder"), std::string::npos);
}

TEST_F(UpgradePreflightTest, PlatformAddressAndTokenInsteadOfAKubeconfig) {
  SeedWorkload("4.2.0");
  // The token travels in the environment ($ACP_PLATFORM_TOKEN), never in argv.
  auto workload = Run("ACP_PLATFORM_TOKEN=upgrade-test-token " + UpgradeSh() +
                      "--preflight --cluster=work-1 --platform-address " + server_->url() +
                      " --release " + release_);
  EXPECT_EQ(workload.exit_code, 0) << workload.output;
  EXPECT_EQ(RecordedPreflight("work-1")["result"], "Passed");
  auto overview = Run("ACP_PLATFORM_TOKEN=upgrade-test-token " + Ac() +
                      "adm upgrade --cluster work-1 --platform-address " + server_->url());
  EXPECT_EQ(overview.exit_code, 0) << overview.output;
  EXPECT_NE(overview.output.find("Preflight:          Passed for 4.2.1"), std::string::npos)
      << overview.output;

  auto no_token = Run(UpgradeSh() + "--preflight --platform-address " + server_->url() +
                      " --release " + release_);
  EXPECT_EQ(no_token.exit_code, 2) << no_token.output;
  EXPECT_EQ(Lines(no_token.output), 1) << no_token.output;
  EXPECT_NE(no_token.output.find("--platform-token"), std::string::npos);
  auto wrong_token = Run("ACP_PLATFORM_TOKEN=wrong " + UpgradeSh() +
                         "--preflight "
                         "--platform-address " +
                         server_->url() + " --release " + release_);
  EXPECT_EQ(wrong_token.exit_code, 6) << wrong_token.output;
  EXPECT_EQ(Lines(wrong_token.output), 1) << wrong_token.output;
  EXPECT_EQ(wrong_token.output.find("wrong"), std::string::npos) << wrong_token.output;
}

TEST_F(UpgradePreflightTest, OperatorMistakesGiveOneLine) {
  auto no_cluster = Run(UpgradeSh() + "--preflight --release " + release_);
  EXPECT_EQ(no_cluster.exit_code, 2);
  EXPECT_EQ(Lines(no_cluster.output), 1) << no_cluster.output;
  EXPECT_NE(no_cluster.output.find("--kubeconfig"), std::string::npos);

  auto no_release = Run(UpgradeSh() + "--preflight --kubeconfig " + kubeconfig_ + " --release " +
                        dir_.File("missing.yaml"));
  EXPECT_EQ(no_release.exit_code, 2);
  EXPECT_EQ(Lines(no_release.output), 1) << no_release.output;
  EXPECT_NE(no_release.output.find("--release"), std::string::npos);

  std::ofstream(dir_.File("dead.kubeconfig"))
      << "apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\n"
      << "users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n"
      << "    cluster: c\n    user: u\ncurrent-context: x\n";
  auto unreachable = Run(UpgradeSh() + "--preflight --kubeconfig " + dir_.File("dead.kubeconfig") +
                         " --release " + release_);
  EXPECT_EQ(unreachable.exit_code, 6) << unreachable.output;
  EXPECT_EQ(Lines(unreachable.output), 1) << unreachable.output;

  auto unknown_cluster = Preflight("--cluster=nope");
  EXPECT_EQ(unknown_cluster.exit_code, 7);
  EXPECT_NE(unknown_cluster.output.find("no Cluster nope"), std::string::npos)
      << unknown_cluster.output;
  EXPECT_NE(unknown_cluster.output.find("not recorded: no ClusterVersionShadow cpaas-system/nope"),
            std::string::npos);

  auto cluster_alone = Run(UpgradeSh() + "--cluster=work-1 --kubeconfig " + kubeconfig_);
  EXPECT_EQ(cluster_alone.exit_code, 2);
  EXPECT_EQ(Lines(cluster_alone.output), 1) << cluster_alone.output;
}

// The Checks line of `check` in a text report ("" when not listed).
std::string CheckLine(const std::string& output, const std::string& check) {
  const size_t at = output.find("\n  " + check + " ");
  if (at == std::string::npos) return "";
  return output.substr(at + 1, output.find('\n', at + 1) - at - 1);
}

// The §2 prerequisites read through the API, wired end to end: objects on the stand-ins ->
// upgrade.sh --preflight -> the check's line and the exit code.
TEST_F(UpgradePreflightTest, PrerequisitesReadThroughTheApi) {
  // Kubecost on a workload cluster blocks the platform's upgrade, with the uninstall to do.
  Put(global(), platform::kModuleInfos, "",
      {{"metadata",
        {{"name", "work-1-7c1e"},
         {"labels", {{"cpaas.io/module-name", "kubecost"}, {"cpaas.io/cluster-name", "work-1"}}}}},
       {"spec", {{"version", "1.0.0"}}},
       {"status", {{"version", "1.0.0"}, {"phase", "Running"}}}});
  auto cost = Preflight();
  EXPECT_EQ(cost.exit_code, 7) << cost.output;
  const std::string cost_line = CheckLine(cost.output, "CostManagementUninstalled");
  EXPECT_NE(cost_line.find("Failed  DeprecatedPluginInstalled"), std::string::npos) << cost.output;
  EXPECT_NE(cost_line.find("kubecost (work-1-7c1e) on work-1"), std::string::npos);
  ASSERT_TRUE(global().Delete(platform::kModuleInfos, "", "work-1-7c1e").ok());

  // To 4.2 (a patch of the same minor here): TopoLVM installed and its package not pushed.
  Put(global(), platform::kModuleInfos, "",
      {{"metadata",
        {{"name", "work-1-topolvm-migrate-catalog-updater"},
         {"labels", {{"cpaas.io/module-name", "topolvm"}, {"cpaas.io/cluster-name", "work-1"}}}}},
       {"spec", {{"version", "1.0.0"}}},
       {"status", {{"version", "1.0.0"}, {"phase", "Running"}}}});
  auto topolvm = Preflight("--to 4.2.2");
  EXPECT_EQ(topolvm.exit_code, 7) << topolvm.output;
  EXPECT_NE(CheckLine(topolvm.output, "TopolvmPackagePushed").find("--clusters \"work-1\""),
            std::string::npos)
      << topolvm.output;
  EXPECT_NE(CheckLine(topolvm.output, "PlatformNodeIsolation").find("Passed"), std::string::npos);
  Put(global(), platform::kArtifactVersions, platform::kPlatformNamespace,
      {{"metadata",
        {{"name", "topolvm-operator.v4.2.2"},
         {"labels", {{"cpaas.io/artifact-version", "operatorhub-topolvm-operator"}}}}},
       {"spec", {{"present", true}, {"tag", "v4.2.2"}}}});
  auto pushed = Preflight("--to 4.2.2");
  EXPECT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_NE(CheckLine(pushed.output, "TopolvmPackagePushed").find("Passed"), std::string::npos)
      << pushed.output;
  // Going to 4.3 from 4.2 the master docs do not ask for it: not listed.
  EXPECT_EQ(CheckLine(Preflight().output, "TopolvmPackagePushed"), "");

  // 4.4: every node's kernel (VersionUpgradePath fails too: 4.2 -> 4.4 is no path).
  json node = Get(global(), platform::kNodes, "", "cp-1");
  node["status"]["nodeInfo"]["kernelVersion"] = "4.18.0-553.el8_10.x86_64";
  Put(global(), platform::kNodes, "", node);
  auto kernel = Preflight("--to 4.4.0");
  EXPECT_EQ(kernel.exit_code, 7);
  EXPECT_NE(CheckLine(kernel.output, "NodeKernelVersion")
                .find("KernelTooOld: 4.4.0 needs Linux kernel 5.8 or later on every node; "
                      "older: cp-1 (4.18.0-553.el8_10.x86_64)"),
            std::string::npos)
      << kernel.output;
}

// A workload cluster from 3.18 (through the platform proxy): Istio below 1.22 fails, an
// Elasticsearch v6 warns.
TEST_F(UpgradePreflightTest, WorkloadIstioAndElasticsearch) {
  SeedWorkload("3.18.1", "v1.30.5");
  Put(work(), platform::kDeployments, "istio-system",
      {{"metadata", {{"name", "istiod-1-20"}}},
       {"spec",
        {{"selector", {{"matchLabels", {{"app", "istiod"}}}}},
         {"template",
          {{"metadata", {{"labels", {{"app", "istiod"}}}}},
           {"spec",
            {{"containers", {{{"name", "discovery"}, {"image", "r/asm/pilot:1.20.8"}}}}}}}}}}});
  Put(work(), platform::kPods, "cpaas-system",
      {{"metadata",
        {{"name", "cpaas-elasticsearch-0"}, {"labels", {{"service_name", "cpaas-elasticsearch"}}}}},
       {"spec", {{"containers", {{{"name", "es"}, {"image", "r/ait/elasticsearch:6.8.23"}}}}}}});
  auto result = Preflight("--cluster=work-1");
  EXPECT_EQ(result.exit_code, 7) << result.output;
  EXPECT_NE(CheckLine(result.output, "IstioVersionSupported")
                .find("Failed  IstioTooOld: from 3.18 Istio must run 1.22"),
            std::string::npos)
      << result.output;
  EXPECT_NE(CheckLine(result.output, "ElasticsearchV6").find("Warn    ElasticsearchV6"),
            std::string::npos)
      << result.output;
  // Node-local checks concern only the global preflight.
  EXPECT_EQ(CheckLine(result.output, "MinioFreeSpace"), "");
}

// On a global control-plane node (a tree with its kube-apiserver manifest): the node-local
// checks measure instead of saying where to run.
TEST_F(UpgradePreflightTest, NodeLocalChecksOnAControlPlaneNode) {
  const std::string root = dir_.File("cp-root");
  std::filesystem::create_directories(root + "/etc/kubernetes/manifests");
  std::filesystem::create_directories(root + "/cpaas/minio");
  std::ofstream(root + "/etc/kubernetes/manifests/kube-apiserver.yaml") << "kind: Pod\n";
  auto result = Run("UPGRADE_NODE_ROOT=" + root + " " + UpgradeSh() + "--preflight --kubeconfig " +
                    kubeconfig_ + " --release " + release_);
  const std::string minio = CheckLine(result.output, "MinioFreeSpace");
  EXPECT_NE(minio.find(root + "/cpaas/minio"), std::string::npos) << result.output;
  EXPECT_NE(minio.find(" GB free"), std::string::npos) << minio;
  EXPECT_EQ(minio.find("NotOnControlPlaneNode"), std::string::npos) << minio;
  EXPECT_NE(CheckLine(result.output, "ExtractionDiskFreeSpace").find(" GB free"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace upgrade_testing
