// The platform simulator (a test stand-in itself) does what its README promises, so the
// upgrade and DR tests that lean on it test our tools and not the simulator's accidents.
#include <gtest/gtest.h>

#include "apiserver/api_server.h"
#include "apiserver/platform_table.h"
#include "platform/resources.h"
#include "platform_sim/platform_simulator.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;

class PlatformSimTest : public ::testing::Test {
 protected:
  PlatformSimTest() : etcd_(dir_.path(), "etcd") {
    apiserver::ApiServerOptions options;
    options.token = common::Secret("t");
    options.resources = apiserver::PlatformResourceTable();
    server_ = std::make_unique<apiserver::ApiServer>(etcd_.client(), std::move(options));
    EXPECT_TRUE(server_->Start().ok());
    config_.server = server_->url();
    config_.token = common::Secret("t");
    client_ = std::make_unique<k8s::RestClient>(config_);
  }

  void Create(const k8s::ResourceRef& ref, const std::string& ns, const json& object) {
    auto created = client_->Create(ref, ns, object);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  json Shadow() {
    auto cvsh =
        client_->Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
    EXPECT_TRUE(cvsh.ok()) << cvsh.status();
    return cvsh.ok() ? *cvsh : json();
  }
  void SetUpShadow(const json& annotations = json::object()) {
    Create(platform::kClusterVersionShadows, platform::kPlatformNamespace,
           {{"metadata", {{"name", "global"}, {"annotations", annotations}}},
            {"spec", json::object()}});
    json cvsh = Shadow();
    cvsh["status"] = {{"current", {{"version", "4.2.1"}}}};
    ASSERT_TRUE(
        client_->UpdateStatus(platform::kClusterVersionShadows, platform::kPlatformNamespace, cvsh)
            .ok());
    Create(platform::kProductBases, "",
           {{"metadata", {{"name", "base"}}}, {"spec", json::object()}});
    for (const char* version : {"4.3.0", "4.2.0", "4.3.1-rc.1"}) {
      Create(platform::kProductManifests, "",
             {{"metadata", {{"name", std::string("acp-") + version}}},
              {"spec", {{"version", version}, {"image", std::string("acp/product:") + version}}}});
    }
  }
  void DeployCvo() {
    Create(platform::kDeployments, platform::kPlatformNamespace,
           {{"metadata", {{"name", "cluster-version-operator"}}}, {"spec", json::object()}});
  }
  void RequestUpgrade(const std::string& version) {
    ASSERT_TRUE(client_
                    ->MergePatch(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                                 "global", {{"spec", {{"desiredUpdate", {{"version", version}}}}}})
                    .ok());
  }

  testing_support::TempDir dir_;
  testing_support::EtcdMember etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
  k8s::RestConfig config_;
  std::unique_ptr<k8s::RestClient> client_;
};

TEST_F(PlatformSimTest, CvoIdleUntilDeployedThenWalksTheStagesToCompleted) {
  SetUpShadow();
  RequestUpgrade("4.3.0");
  platform_sim::PlatformSimulator sim(config_);
  sim.Tick();
  EXPECT_FALSE(Shadow()["status"].contains("history")) << "no CVO deployed, nothing may move";

  DeployCvo();
  sim.Tick();
  json status = Shadow()["status"];
  ASSERT_EQ(status["availableUpdates"].size(), 2u) << status.dump();
  EXPECT_EQ(status["availableUpdates"][0]["version"], "4.3.0");
  EXPECT_EQ(status["availableUpdates"][1]["version"], "4.3.1-rc.1");
  EXPECT_EQ(status["history"][0]["state"], "Partial");
  for (int i = 0; i < 6; ++i) sim.Tick();  // 3 stages x (Pending->Running->Finished)
  status = Shadow()["status"];
  EXPECT_EQ(status["history"][0]["state"], "Partial") << "one tick short of done";
  sim.Tick();
  status = Shadow()["status"];
  EXPECT_EQ(status["history"][0]["state"], "Completed") << status.dump();
  EXPECT_EQ(status["current"]["version"], "4.3.0");
  for (const json& stage : status["stages"]) EXPECT_EQ(stage["phase"], "Finished");
  auto base = client_->Get(platform::kProductBases, "", "base");
  ASSERT_TRUE(base.ok());
  EXPECT_EQ((*base)["spec"]["version"], "4.3.0");
  EXPECT_EQ(status["history"].size(), 1u);
  sim.Tick();
  EXPECT_EQ(Shadow()["status"]["history"].size(), 1u) << "a finished upgrade does not restart";
}

TEST_F(PlatformSimTest, StallAnnotationHoldsTheStageAndSaysSo) {
  SetUpShadow({{"platform-sim.test/stall-stage", "Aligned"}});
  DeployCvo();
  RequestUpgrade("4.3.0");
  platform_sim::PlatformSimulator sim(config_);
  for (int i = 0; i < 12; ++i) sim.Tick();
  const json status = Shadow()["status"];
  EXPECT_EQ(status["history"][0]["state"], "Partial");
  EXPECT_EQ(status["stages"][1]["phase"], "Running");
  bool stalled = false;
  for (const json& condition : status["conditions"]) {
    stalled |= condition["type"] == "Stalled" && condition["status"] == "True";
  }
  EXPECT_TRUE(stalled) << status.dump();
}

TEST_F(PlatformSimTest, ModuleInfoReportsTheVersionItWasSetTo) {
  Create(platform::kModuleInfos, "",
         {{"metadata", {{"name", "global-abc"}}}, {"spec", {{"version", "v4.1.0"}}}});
  platform_sim::PlatformSimulator sim(config_);
  sim.Start();
  for (int i = 0; i < 100; ++i) {
    auto info = client_->Get(platform::kModuleInfos, "", "global-abc");
    if (info.ok() && info->value("/status/version"_json_pointer, std::string()) == "v4.1.0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sim.Stop();
  auto info = client_->Get(platform::kModuleInfos, "", "global-abc");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ((*info)["status"]["version"], "v4.1.0");
  EXPECT_EQ((*info)["status"]["phase"], "Running");
}

}  // namespace
