// upgrade.sh's cluster phases against a real registry (TLS + Basic auth) and the stand-in API
// server: the registry resolved from ProductBase and Secret registry-admin, the artifact
// check, the trigger (ProductManifest + CVO Deployment) and its re-runs, an external
// registry, the config-file fallback, and the DR runbook's KUBECONFIG + --password-stdin form.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "apiserver/platform_table.h"
#include "common/base64.h"
#include "integration/kubectl_runner.h"
#include "integration/upgrade_fixture.h"
#include "platform/resources.h"
#include "platform_sim/platform_simulator.h"
#include "support/etcd_member.h"

namespace upgrade_testing {
namespace {

using nlohmann::json;
using testing_support::CommandResult;

class UpgradeTriggerTest : public UpgradeClusterTest {
 protected:
  UpgradeTriggerTest() {
    certs_ = dir_.File("certs");
    testing_support::RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                               certs_ + "'");
    testing_support::RunScript("htpasswd -cbB '" + dir_.File("htpasswd") + "' alice 'pa ss'");
    registry_ = std::make_unique<testing_support::RegistryServer>(dir_.path(), "platform", certs_,
                                                                  dir_.File("htpasswd"));
    package_ = dir_.File("package");
    std::filesystem::create_directories(package_);
    testing_support::RunScript(std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " " + package_ +
                               "/images --images 4");
    testing_support::RunScript(std::string(PROJECT_SOURCE_DIR) +
                               "/scripts/make-sample-release.sh " + package_ + "/images 4.3.0");
    release_ = package_ + "/release.yaml";
    SeedPlatformRegistry(registry_->address(), false);
  }

  void SeedPlatformRegistry(const std::string& address, bool external) {
    Put(global(), platform::kProductBases, "",
        {{"metadata", {{"name", "base"}}},
         {"spec",
          {{"version", "4.2.1"}, {"registry", {{"address", address}, {"external", external}}}}}});
    Put(global(), platform::kSecrets, platform::kPlatformNamespace,
        {{"metadata", {{"name", "registry-admin"}}},
         {"data",
          {{"username", common::EncodeBase64("alice")},
           {"password", common::EncodeBase64("pa ss")}}}});
  }

  CommandResult UpgradeSh(const std::string& flags) {
    return Run(UpgradeClusterTest::UpgradeSh() + "--kubeconfig " + kubeconfig_ + " --bundle " +
               package_ + "/images --release " + release_ + " --ca-file " + certs_ + "/ca.crt " +
               flags);
  }

  std::string LastLine(const std::string& output) {
    std::string text = output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text.substr(text.rfind('\n') + 1);
  }

  std::string certs_, package_, release_;
  std::unique_ptr<testing_support::RegistryServer> registry_;
};

TEST_F(UpgradeTriggerTest, SyncThenTriggerFromThePlatformRegistryAndRerunIsUnchanged) {
  // Before the sync: the artifact check refuses, naming what to do.
  CommandResult early = UpgradeSh("--skip-sync-image");
  EXPECT_EQ(early.exit_code, 9) << early.output;
  EXPECT_NE(LastLine(early.output).find("are not in registry " + registry_->address()),
            std::string::npos)
      << early.output;
  EXPECT_NE(LastLine(early.output).find("--only-sync-image"), std::string::npos);
  EXPECT_FALSE(global().Get(platform::kProductManifests, "", "acp-4.3.0").ok());

  // The sync finds the registry and its credentials on the cluster.
  CommandResult sync = UpgradeSh("--only-sync-image");
  ASSERT_EQ(sync.exit_code, 0) << sync.output;
  EXPECT_NE(sync.output.find("registry " + registry_->address() +
                             " (from ProductBase base spec.registry.address; credentials from "
                             "Secret cpaas-system/registry-admin)"),
            std::string::npos)
      << sync.output;
  EXPECT_NE(sync.output.find("4 images: 4 pushed"), std::string::npos) << sync.output;
  EXPECT_EQ(sync.output.find("pa ss"), std::string::npos);

  CommandResult trigger = UpgradeSh("--skip-sync-image");
  ASSERT_EQ(trigger.exit_code, 0) << trigger.output;
  EXPECT_NE(trigger.output.find("artifacts: all 4 images of release 4.3.0 are in"),
            std::string::npos)
      << trigger.output;
  EXPECT_NE(trigger.output.find("ProductManifest acp-4.3.0: created"), std::string::npos);
  EXPECT_NE(trigger.output.find("ClusterVersionShadow cpaas-system/global: created (current "
                                "version 4.2.1)"),
            std::string::npos)
      << trigger.output;
  const std::string cvo_image = registry_->address() + "/acp/component-1:v1";
  EXPECT_NE(
      trigger.output.find("Deployment cpaas-system/cluster-version-operator: created (image " +
                          cvo_image + ")"),
      std::string::npos)
      << trigger.output;
  const json manifest = Get(global(), platform::kProductManifests, "", "acp-4.3.0");
  EXPECT_EQ(manifest["spec"]["version"], "4.3.0");
  EXPECT_EQ(manifest["spec"]["image"], registry_->address() + "/acp/component-0:v1");
  const json cvo = Get(global(), platform::kDeployments, platform::kPlatformNamespace,
                       "cluster-version-operator");
  EXPECT_EQ(cvo["spec"]["template"]["spec"]["containers"][0]["image"], cvo_image);

  // Safe to run again: nothing changes, nothing is duplicated.
  CommandResult again = UpgradeSh("--skip-sync-image");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("ProductManifest acp-4.3.0: unchanged"), std::string::npos);
  EXPECT_NE(again.output.find("ClusterVersionShadow cpaas-system/global: unchanged"),
            std::string::npos);
  EXPECT_NE(again.output.find("cluster-version-operator: unchanged"), std::string::npos);
  auto manifests = global().List(platform::kProductManifests, "");
  ASSERT_TRUE(manifests.ok());
  EXPECT_EQ((*manifests)["items"].size(), 1u);

  // A newer package with another CVO image: a second manifest, the CVO updated in place.
  std::ofstream(release_) << "version: 4.3.1\nproductImage: acp/component-0:v1\n"
                          << "cvoImage: acp/component-2:v1\nimages: [acp/component-3:v1]\n";
  CommandResult newer = UpgradeSh("--skip-sync-image");
  ASSERT_EQ(newer.exit_code, 0) << newer.output;
  EXPECT_NE(newer.output.find("ProductManifest acp-4.3.1: created"), std::string::npos);
  EXPECT_NE(newer.output.find("cluster-version-operator: updated (image " + cvo_image + " -> " +
                              registry_->address() + "/acp/component-2:v1)"),
            std::string::npos)
      << newer.output;

  // The CVO (the simulator, which acts only while the Deployment exists) now offers both.
  platform_sim::PlatformSimulator cvo_sim(GlobalConfig());
  cvo_sim.Tick();
  const json cvsh =
      Get(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  ASSERT_EQ(cvsh["status"]["availableUpdates"].size(), 2u) << cvsh.dump();
  EXPECT_EQ(cvsh["status"]["availableUpdates"][0]["version"], "4.3.0");
  EXPECT_EQ(cvsh["status"]["availableUpdates"][1]["version"], "4.3.1");
}

// Real kubectl (TLS + token stand-in over the same etcd) reads back what the trigger wrote.
TEST_F(UpgradeTriggerTest, KubectlReadsBackWhatTheTriggerWrote) {
  if (!testing_support::HaveKubectl()) GTEST_SKIP() << "kubectl not installed";
  ASSERT_EQ(UpgradeSh("--only-sync-image").exit_code, 0);
  CommandResult trigger = UpgradeSh("--skip-sync-image");
  ASSERT_EQ(trigger.exit_code, 0) << trigger.output;
  testing_support::KubectlRunner kubectl(global_etcd_.client(), apiserver::PlatformResourceTable(),
                                         dir_.File("kubectl"));
  ASSERT_TRUE(kubectl.Start().ok());
  testing_support::KubectlRun manifest =
      kubectl.Run("get productmanifests acp-4.3.0 -o jsonpath='{.spec.version}'");
  ASSERT_EQ(manifest.exit_code, 0) << manifest.output;
  EXPECT_EQ(manifest.output, "4.3.0");
  testing_support::KubectlRun cvsh =
      kubectl.Run("get clusterversionshadows -n cpaas-system global -o name");
  ASSERT_EQ(cvsh.exit_code, 0) << cvsh.output;
  EXPECT_NE(cvsh.output.find("global"), std::string::npos) << cvsh.output;
  testing_support::KubectlRun cvo = kubectl.Run(
      "get deployment -n cpaas-system cluster-version-operator "
      "-o jsonpath='{.spec.template.spec.containers[0].image}'");
  ASSERT_EQ(cvo.exit_code, 0) << cvo.output;
  EXPECT_EQ(cvo.output, registry_->address() + "/acp/component-1:v1");
}

TEST_F(UpgradeTriggerTest, ExternalRegistryIsNotSyncedInto) {
  SeedPlatformRegistry("harbor.example.com", true);
  CommandResult sync = UpgradeSh("--only-sync-image");
  EXPECT_EQ(sync.exit_code, 0) << sync.output;
  EXPECT_NE(sync.output.find("registry harbor.example.com is external: image sync skipped "
                             "(SKIP_SYNC_IMAGE=true)"),
            std::string::npos)
      << sync.output;
  CommandResult catalog = testing_support::RunCommand("curl -s --cacert " + certs_ +
                                                      "/ca.crt -u 'alice:pa ss' https://" +
                                                      registry_->address() + "/v2/_catalog");
  EXPECT_EQ(catalog.output, "{\"repositories\":[]}\n");

  // Without flags: sync (skipped) then the trigger; the images are not checked here.
  CommandResult both = UpgradeSh("--skip-check-artifacts");
  EXPECT_EQ(both.exit_code, 0) << both.output;
  EXPECT_NE(both.output.find("artifact check skipped (--skip-check-artifacts)"), std::string::npos);
  EXPECT_EQ(Get(global(), platform::kProductManifests, "", "acp-4.3.0")["spec"]["image"],
            "harbor.example.com/acp/component-0:v1");
}

TEST_F(UpgradeTriggerTest, DrRunbookFormAndConfigFileFallback) {
  // As the DR runbook runs it: KUBECONFIG=<cluster>, registry flags, password on stdin.
  const std::string env = "env -u KUBECONFIG HOME='" + dir_.path() + "' ";
  const std::string flags = " --bundle " + package_ + "/images --release " + release_ +
                            " --registry " + registry_->address() + " --ca-file " + certs_ +
                            "/ca.crt --username alice --password-stdin";
  CommandResult sync = testing_support::RunCommand(
      "printf 'pa ss\\n' | " + env + UpgradeClusterTest::UpgradeSh() + "--only-sync-image" + flags);
  ASSERT_EQ(sync.exit_code, 0) << sync.output;
  CommandResult trigger =
      testing_support::RunCommand("printf 'pa ss\\n' | " + env + "KUBECONFIG=" + kubeconfig_ + " " +
                                  UpgradeClusterTest::UpgradeSh() + "--skip-sync-image" + flags);
  ASSERT_EQ(trigger.exit_code, 0) << trigger.output;
  EXPECT_NE(trigger.output.find("ProductManifest acp-4.3.0: created"), std::string::npos);
  EXPECT_EQ(trigger.output.find("pa ss"), std::string::npos);

  // A wrong password is the registry's refusal (4), one line at the end.
  CommandResult wrong =
      testing_support::RunCommand("printf 'nope\\n' | " + env + "KUBECONFIG=" + kubeconfig_ + " " +
                                  UpgradeClusterTest::UpgradeSh() + "--skip-sync-image" + flags);
  EXPECT_EQ(wrong.exit_code, 4) << wrong.output;
  EXPECT_EQ(wrong.output.find("nope"), std::string::npos) << wrong.output;

  // The cluster cannot be reached but upgrade.conf names the registry: a warning, then the sync.
  std::ofstream(dir_.File("dead.kubeconfig"))
      << "apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\n"
      << "users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n"
      << "    cluster: c\n    user: u\ncurrent-context: x\n";
  std::ofstream(dir_.File("upgrade.conf")) << "registry: " << registry_->address() << "\n";
  CommandResult fallback = testing_support::RunCommand(
      "printf 'pa ss\\n' | " + env + "UPGRADE_CONFIG=" + dir_.File("upgrade.conf") +
      " KUBECONFIG=" + dir_.File("dead.kubeconfig") + " " + UpgradeClusterTest::UpgradeSh() +
      "--only-sync-image --bundle " + package_ + "/images --ca-file " + certs_ +
      "/ca.crt --username alice --password-stdin");
  EXPECT_EQ(fallback.exit_code, 0) << fallback.output;
  EXPECT_NE(fallback.output.find("warning:"), std::string::npos) << fallback.output;
  EXPECT_NE(fallback.output.find("using " + dir_.File("upgrade.conf")), std::string::npos);
  EXPECT_NE(fallback.output.find("4 already present"), std::string::npos) << fallback.output;

  // No cluster to trigger on: one line naming the flag.
  CommandResult no_cluster = testing_support::RunCommand(
      env + UpgradeClusterTest::UpgradeSh() + "--skip-sync-image --registry " +
      registry_->address() + " --release " + release_);
  EXPECT_EQ(no_cluster.exit_code, 2) << no_cluster.output;
  EXPECT_EQ(Lines(no_cluster.output), 1) << no_cluster.output;
  EXPECT_NE(no_cluster.output.find("--kubeconfig"), std::string::npos);
}

}  // namespace
}  // namespace upgrade_testing
