// `bash upgrade.sh --preflight` (global) and `--cluster=<c> --preflight` (workload, through
// the platform proxy) against the stand-in API server: Summary/Checks output, exit codes,
// status.preflight on the cvsh, cvo-config, admin gates/acks, and one-line mistakes.
#include <gtest/gtest.h>

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
    return Run(UpgradeSh() + "--preflight --kubeconfig " + kubeconfig_ + " --release " + release_ +
               " " + flags);
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
  EXPECT_NE(result.output.find("Result:           Passed (14 passed, 0 retry, 0 failed)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("Current version:  4.2.1"), std::string::npos);
  EXPECT_NE(result.output.find("Desired version:  4.3.0"), std::string::npos);

  const json preflight = RecordedPreflight();
  EXPECT_EQ(preflight["result"], "Passed");
  EXPECT_EQ(preflight["targetVersion"], "4.3.0");
  EXPECT_FALSE(preflight.value("observedAt", "").empty());
  ASSERT_EQ(preflight["checks"].size(), 14u);
  for (const json& check : preflight["checks"]) {
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
  EXPECT_EQ(document["checks"].size(), 14u);

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

}  // namespace
}  // namespace upgrade_testing
