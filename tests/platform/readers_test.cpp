// The typed views of platform objects: the fields they read, and "" (never an exception) for
// what is absent or of the wrong type.
#include "platform/readers.h"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;

TEST(ReadersTest, ClusterVersionShadowVersions) {
  const json cvsh = {
      {"spec", {{"desiredUpdate", {{"version", "v4.3.0"}}}}},
      {"status", {{"current", {{"version", "v4.2.1"}}}, {"desired", {{"version", "v4.2.9"}}}}}};
  const platform::ClusterVersionShadow view = platform::ClusterVersionShadowOf(cvsh);
  EXPECT_EQ(view.current_version, "v4.2.1");
  EXPECT_EQ(view.desired_version, "v4.2.9");
  EXPECT_EQ(view.requested_version, "v4.3.0");
}

TEST(ReadersTest, ModuleInfoLabelsAndVersions) {
  const json info = {
      {"metadata",
       {{"name", "global-abc"},
        {"labels", {{"cpaas.io/module-name", "kubernetes"}, {"cpaas.io/cluster-name", "global"}}}}},
      {"spec", {{"version", "v1.31.1"}}},
      {"status", {{"version", "v1.30.4"}, {"phase", "Running"}}}};
  const platform::ModuleInfo view = platform::ModuleInfoOf(info);
  EXPECT_EQ(view.name, "global-abc");
  EXPECT_EQ(view.module, "kubernetes");
  EXPECT_EQ(view.cluster, "global");
  EXPECT_EQ(view.spec_version, "v1.31.1");
  EXPECT_EQ(view.status_version, "v1.30.4");
  EXPECT_EQ(view.phase, "Running");
}

TEST(ReadersTest, ProductBaseRegistry) {
  const json base = {{"spec",
                      {{"version", "v4.2.1"},
                       {"registry", {{"address", "harbor.example.com"}, {"external", true}}}}}};
  const platform::ProductBase view = platform::ProductBaseOf(base);
  EXPECT_EQ(view.version, "v4.2.1");
  EXPECT_EQ(view.registry_address, "harbor.example.com");
  EXPECT_TRUE(view.registry_external);
  // A mistyped `external` (it used to throw json::type_error) reads as not external.
  EXPECT_FALSE(
      platform::ProductBaseOf({{"spec", {{"registry", {{"external", "yes"}}}}}}).registry_external);
}

TEST(ReadersTest, ClusterVipFallsBackToTke) {
  json cluster = {{"metadata", {{"name", "global"}}},
                  {"spec", {{"features", {{"ha", {{"tke", {{"vip", "10.0.0.10"}}}}}}}}},
                  {"status", {{"phase", "Running"}, {"version", "v1.30.4"}}}};
  platform::Cluster view = platform::ClusterOf(cluster);
  EXPECT_EQ(view.name, "global");
  EXPECT_EQ(view.phase, "Running");
  EXPECT_EQ(view.version, "v1.30.4");
  EXPECT_EQ(view.vip, "10.0.0.10");
  cluster["spec"]["features"]["ha"]["thirdParty"] = {{"vip", "fd00::10"}};
  EXPECT_EQ(platform::ClusterOf(cluster).vip, "fd00::10");
}

TEST(ReadersTest, MachineCluster) {
  const platform::Machine view = platform::MachineOf({{"metadata", {{"name", "m1"}}},
                                                      {"spec", {{"clusterName", "biz1"}}},
                                                      {"status", {{"phase", "Failed"}}}});
  EXPECT_EQ(view.name, "m1");
  EXPECT_EQ(view.cluster, "biz1");
  EXPECT_EQ(view.phase, "Failed");
}

TEST(ReadersTest, MistypedOrMissingFieldsReadEmpty) {
  for (const json& object : {json(nullptr), json::array({1, 2}), json("text"),
                             json{{"metadata", 5}, {"spec", "x"}, {"status", {{"version", 7}}}}}) {
    EXPECT_EQ(platform::ClusterVersionShadowOf(object).current_version, "") << object;
    const platform::ModuleInfo info = platform::ModuleInfoOf(object);
    EXPECT_EQ(info.module + info.name + info.status_version + info.phase, "") << object;
    EXPECT_EQ(platform::ProductBaseOf(object).version, "") << object;
    EXPECT_EQ(platform::ClusterOf(object).vip, "") << object;
    EXPECT_EQ(platform::MachineOf(object).cluster, "") << object;
  }
}

}  // namespace
