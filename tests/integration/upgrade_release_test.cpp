// `ac adm release import-manifest` against the stand-in API server and the CVO stand-in
// (platform_sim): the ProductManifest it publishes, its one-line refusals, and --wait until
// availableUpdates lists the version (exit 13 when it does not in time).
#include <gtest/gtest.h>

#include "bundle/sample_bundle.h"
#include "integration/upgrade_fixture.h"
#include "platform/resources.h"
#include "platform_sim/platform_simulator.h"

namespace upgrade_testing {
namespace {

using nlohmann::json;

class UpgradeReleaseTest : public UpgradeClusterTest {
 protected:
  UpgradeReleaseTest() {
    SeedHealthyGlobal("4.2.1");
    release_ = WriteRelease("4.3.0");
  }

  testing_support::CommandResult Import(const std::string& args) {
    return Run(Ac() + "adm release import-manifest " + args + " --release " + release_ +
               " --kubeconfig " + kubeconfig_);
  }

  std::string release_;
};

TEST_F(UpgradeReleaseTest, PublishesTheManifestAndWaitsForAvailableUpdates) {
  // No registry anywhere: one line saying what to pass.
  auto no_registry = Import("--version 4.3.0");
  EXPECT_EQ(no_registry.exit_code, 2) << no_registry.output;
  EXPECT_NE(no_registry.output.find("pass --registry"), std::string::npos) << no_registry.output;
  // The release file is for another version.
  auto other = Import("--version 4.3.1 --registry reg.example:11443");
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("describes release 4.3.0, not 4.3.1"), std::string::npos)
      << other.output;

  json base = Get(global(), platform::kProductBases, "", "base");
  base["spec"]["registry"] = {{"address", "reg.example:11443"}};
  Put(global(), platform::kProductBases, "", base);
  auto created = Import("--version 4.3.0");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_NE(created.output.find("ProductManifest acp-4.3.0: created"), std::string::npos);
  const json manifest = Get(global(), platform::kProductManifests, "", "acp-4.3.0");
  EXPECT_EQ(manifest["spec"]["version"], "4.3.0");
  EXPECT_EQ(manifest["spec"]["image"].get<std::string>().rfind("reg.example:11443/", 0), 0u)
      << manifest.dump();
  EXPECT_NE(Import("--version 4.3.0").output.find("acp-4.3.0: unchanged"), std::string::npos);

  // No CVO yet: nothing lists it; --wait gives up with exit 13 and says what it saw.
  auto waited = Import("--version 4.3.0 --wait --timeout 1");
  EXPECT_EQ(waited.exit_code, 13) << waited.output;
  EXPECT_NE(waited.output.find("lists no availableUpdates"), std::string::npos) << waited.output;

  // With the CVO deployed (the stand-in acts while its Deployment exists) it shows up.
  Put(global(), platform::kDeployments, platform::kPlatformNamespace,
      {{"metadata", {{"name", "cluster-version-operator"}}},
       {"spec",
        {{"selector", {{"matchLabels", {{"app", "cvo"}}}}},
         {"template",
          {{"metadata", {{"labels", {{"app", "cvo"}}}}},
           {"spec", {{"containers", {{{"name", "cvo"}, {"image", "r/cvo:v1"}}}}}}}}}}});
  platform_sim::PlatformSimulator cvo(GlobalConfig(), {.tick = std::chrono::milliseconds(100)});
  cvo.Start();
  auto available = Import("--version 4.3.0 --wait --timeout 30");
  cvo.Stop();
  ASSERT_EQ(available.exit_code, 0) << available.output;
  EXPECT_NE(available.output.find("4.3.0 is available to cluster global"), std::string::npos)
      << available.output;
}

// upgrade.sh --move-to-hybrid: refused (exit 10, label kept) while an image lacks an
// architecture the global's nodes run; otherwise synced (skipped here: SKIP_SYNC_IMAGE) and
// the label removed.
TEST_F(UpgradeReleaseTest, MoveToHybridRefusesBeforeTouchingTheLabel) {
  bundle::SampleBundleOptions options;
  options.images = 4;
  options.layer_bytes = 1024;
  options.shared_layer_bytes = 1024;
  const std::string images = dir_.File("hybrid-images");
  ASSERT_TRUE(bundle::WriteSampleBundle(images, options).ok());
  json cluster = Get(global(), platform::kClusters, "", "global");
  cluster["metadata"]["labels"] = {{"cpaas.io/node-arch-constraint", "amd64"}};
  Put(global(), platform::kClusters, "", cluster);
  json node = Get(global(), platform::kNodes, "", "cp-1");
  node["metadata"]["labels"]["kubernetes.io/arch"] = "arm64";
  Put(global(), platform::kNodes, "", node);
  Put(global(), platform::kNodes, "",
      {{"metadata", {{"name", "cp-2"}}}, {"status", {{"nodeInfo", {{"architecture", "amd64"}}}}}});
  const std::string command = "SKIP_SYNC_IMAGE=true " + UpgradeSh() + "--move-to-hybrid --bundle " +
                              images + " --registry 127.0.0.1:5999 --plain --kubeconfig " +
                              kubeconfig_;
  auto refused = Run(command);
  EXPECT_EQ(refused.exit_code, 10) << refused.output;
  EXPECT_NE(refused.output.find("lack an architecture the global cluster's nodes run (amd64, "
                                "arm64)"),
            std::string::npos)
      << refused.output;
  EXPECT_EQ(Get(global(), platform::kClusters, "", "global")["metadata"]["labels"].value(
                "cpaas.io/node-arch-constraint", ""),
            "amd64");

  node["metadata"]["labels"]["kubernetes.io/arch"] = "amd64";  // every image offers amd64
  Put(global(), platform::kNodes, "", node);
  auto moved = Run(command);
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_NE(moved.output.find("label cpaas.io/node-arch-constraint removed"), std::string::npos)
      << moved.output;
  EXPECT_FALSE(Get(global(), platform::kClusters, "", "global")["metadata"]
                   .value("labels", json::object())
                   .contains("cpaas.io/node-arch-constraint"));
  EXPECT_NE(Run(command).output.find("was not set"), std::string::npos);  // again: nothing to do
}

}  // namespace
}  // namespace upgrade_testing
