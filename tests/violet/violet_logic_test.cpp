// violet's pure decisions: registry addresses (IPv6 included), push flag rules, the custom
// resources it builds, when an existing object is "unchanged", the upgrade-in-progress rule,
// apps.yaml, the gc plan and summary, and `violet show`.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "platform/connection.h"
#include "violet/artifact_resources.h"
#include "violet/gc_plan.h"
#include "violet/installed_extensions.h"
#include "violet/object_apply.h"
#include "violet/push_command.h"
#include "violet/registry_address.h"
#include "violet/safety_rails.h"
#include "violet/show_format.h"

namespace violet {
namespace {

using nlohmann::json;

TEST(RegistryAddressTest, AcceptsNamesIpv4AndBracketedIpv6) {
  struct Case {
    std::string in, host;
    bool plain;
  };
  for (const Case& c :
       {Case{"harbor.demo.io", "harbor.demo.io", false},
        Case{"10.0.0.1:11443", "10.0.0.1:11443", false},
        Case{"[fd00::1]:11443", "[fd00::1]:11443", false}, Case{"[::1]", "[::1]", false},
        Case{"http://[fd00::1]:5000/", "[fd00::1]:5000", true},
        Case{"https://harbor.demo.io", "harbor.demo.io", false}}) {
    auto address = ParseRegistryAddress(c.in, "--dest-repo");
    ASSERT_TRUE(address.ok()) << c.in << ": " << address.status();
    EXPECT_EQ(address->host, c.host);
    EXPECT_EQ(address->plain, c.plain);
  }
}

TEST(RegistryAddressTest, RefusesWhatIsNotAHostNamingTheFlag) {
  for (const std::string bad :
       {"", "fd00::1", "fd00::1:11443", "[fd00::1", "[zz::1]:1", "harbor.demo.io/acp",
        "host:", "host:99999", "host:abc", "[fd00::1]x"}) {
    auto address = ParseRegistryAddress(bad, "--dest-repo");
    ASSERT_FALSE(address.ok()) << bad;
    EXPECT_NE(address.status().message().find("--dest-repo"), std::string::npos);
  }
}

TEST(PlatformAddressTest, Ipv6LiteralsWorkInBrackets) {
  auto url = platform::NormalizePlatformAddress("[fd00::10]:8443", "--platform-address");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url, "https://[fd00::10]:8443");
  EXPECT_FALSE(platform::NormalizePlatformAddress("fd00::10", "--platform-address").ok());
}

PushRequest ValidPush() {
  PushRequest request;
  request.path = "/pkgs";
  request.connection.platform_address = "https://acp.example.com";
  request.connection.platform_token = common::Secret("t");
  return request;
}

void ExpectRefused(const PushRequest& request, const std::string& text) {
  absl::Status status = ValidatePushRequest(request);
  ASSERT_FALSE(status.ok()) << text;
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find(text), std::string::npos) << status;
}

TEST(PushFlagRulesTest, EachRuleHasItsOwnMessage) {
  EXPECT_TRUE(ValidatePushRequest(ValidPush()).ok());
  PushRequest both_skips = ValidPush();
  both_skips.skip_crs = both_skips.skip_push = true;
  ExpectRefused(both_skips, "--skip-crs and --skip-push cannot be used together");

  PushRequest token_and_user = ValidPush();
  token_and_user.connection.platform_username = "admin";
  token_and_user.connection.platform_password = common::Secret("p");
  ExpectRefused(token_and_user, "--platform-token cannot be combined");

  PushRequest user_only = ValidPush();
  user_only.connection.platform_token = common::Secret();
  user_only.connection.platform_username = "admin";
  ExpectRefused(user_only, "go together");
  user_only.connection.platform_password = common::Secret("p");
  EXPECT_TRUE(ValidatePushRequest(user_only).ok());

  PushRequest no_credentials = ValidPush();
  no_credentials.connection.platform_token = common::Secret();
  ExpectRefused(no_credentials, "--platform-address needs --platform-token");

  PushRequest dest_bare = ValidPush();
  dest_bare.dest_repo = "[fd00::1]:11443";
  ExpectRefused(dest_bare, "--dest-repo needs");
  dest_bare.no_auth = true;
  EXPECT_TRUE(ValidatePushRequest(dest_bare).ok());
  dest_bare.username = "u";
  dest_bare.password = common::Secret("p");
  ExpectRefused(dest_bare, "--no-auth cannot be combined");
  dest_bare.no_auth = false;
  EXPECT_TRUE(ValidatePushRequest(dest_bare).ok());
  dest_bare.password = common::Secret();
  ExpectRefused(dest_bare, "--username and --password go together");

  PushRequest bad_dest = ValidPush();
  bad_dest.dest_repo = "fd00::1";
  bad_dest.no_auth = true;
  ExpectRefused(bad_dest, "IPv6");

  PushRequest no_clusters = ValidPush();
  no_clusters.clusters.clear();
  ExpectRefused(no_clusters, "--clusters");
}

package::PackageManifest Bundle() {
  return {"topolvm-operator",
          "TopoLVM",
          package::PackageType::kOperatorBundle,
          "v2.3.0",
          {"linux/amd64"},
          "acp/topolvm-operator-bundle:v2.3.0",
          {"acp/topolvm:v2.3.0"},
          "",
          ""};
}

TEST(ArtifactResourcesTest, BundleArtifactAndVersionFollowTheCrds) {
  ArtifactTarget target{"cpaas-system", "10.0.0.1:11443", "platform", "public-charts"};
  json artifact = BuildArtifact(Bundle(), target);
  EXPECT_EQ(artifact["apiVersion"], "app.alauda.io/v1alpha1");
  EXPECT_EQ(artifact["kind"], "Artifact");
  EXPECT_EQ(artifact["metadata"]["name"], "operatorhub-topolvm-operator");
  EXPECT_EQ(artifact["metadata"]["namespace"], "cpaas-system");
  EXPECT_EQ(artifact["metadata"]["labels"][kCatalogSourceLabel], "platform");
  EXPECT_EQ(artifact["spec"]["artifactVersionSelector"]["matchLabels"][kArtifactVersionLabel],
            "operatorhub-topolvm-operator");
  EXPECT_EQ(artifact["spec"]["present"], true);
  EXPECT_EQ(artifact["spec"]["registry"], "10.0.0.1:11443");
  EXPECT_EQ(artifact["spec"]["repository"], "acp/topolvm-operator-bundle");
  EXPECT_EQ(artifact["spec"]["type"], "bundle");
  EXPECT_EQ(artifact["spec"]["displayName"], "TopoLVM");

  json version = BuildArtifactVersion(Bundle(), target);
  EXPECT_EQ(version["kind"], "ArtifactVersion");
  EXPECT_EQ(version["metadata"]["name"], "operatorhub-topolvm-operator.v2.3.0");
  EXPECT_EQ(version["metadata"]["labels"][kArtifactVersionLabel], "operatorhub-topolvm-operator");
  EXPECT_EQ(version["spec"], (json{{"present", true}, {"tag", "v2.3.0"}}));
}

TEST(ArtifactResourcesTest, PluginsAndChartsAreNamedByKindAndRepo) {
  ArtifactTarget target;
  target.chart_repo = "my-charts";
  package::PackageManifest chart = Bundle();
  chart.type = package::PackageType::kChart;
  chart.name = "nfs";
  chart.version = "V4.0.2+Build_1";
  EXPECT_EQ(ArtifactName(chart, target), "my-charts-nfs");
  EXPECT_EQ(ArtifactVersionName(chart, target), "my-charts-nfs.v4.0.2-build-1");
  EXPECT_EQ(BuildArtifact(chart, target)["metadata"]["labels"][kChartRepoLabel], "my-charts");
  package::PackageManifest plugin = Bundle();
  plugin.type = package::PackageType::kClusterPlugin;
  plugin.lifecycle = "Aligned";
  EXPECT_EQ(ArtifactName(plugin, target), "cluster-plugin-topolvm-operator");
  EXPECT_EQ(BuildArtifact(plugin, target)["metadata"]["labels"][kLifecycleLabel], "Aligned");
  EXPECT_FALSE(BuildArtifact(plugin, target)["metadata"]["labels"].contains(kCatalogSourceLabel));
}

TEST(ObjectApplyTest, CoveredMeansOurLabelsAnnotationsAndSpec) {
  json desired = BuildArtifact(Bundle(), ArtifactTarget{});
  json existing = desired;
  existing["metadata"]["resourceVersion"] = "12";
  existing["metadata"]["labels"]["extra"] = "kept";
  existing["status"] = {{"synced", true}};
  EXPECT_TRUE(ObjectCovers(existing, desired));
  json changed_spec = existing;
  changed_spec["spec"]["registry"] = "elsewhere:5000";
  EXPECT_FALSE(ObjectCovers(changed_spec, desired));
  json changed_label = existing;
  changed_label["metadata"]["labels"][kCatalogSourceLabel] = "system";
  EXPECT_FALSE(ObjectCovers(changed_label, desired));
}

TEST(SafetyRailsTest, UpgradeInProgressFollowsTheStatusContract) {
  EXPECT_EQ(UpgradeInProgressReason(json::object()), "");
  json done = {{"status",
                {{"history", {{{"version", "v4.3.0"}, {"state", "Completed"}}}},
                 {"stages", {{{"name", "Core"}, {"phase", "Finished"}}}}}}};
  EXPECT_EQ(UpgradeInProgressReason(done), "");
  json partial = done;
  partial["status"]["history"][0]["state"] = "Partial";
  EXPECT_NE(UpgradeInProgressReason(partial).find("v4.3.0 is Partial"), std::string::npos);
  json running = done;
  running["status"]["stages"].push_back({{"name", "Aligned"}, {"phase", "Running"}});
  EXPECT_NE(UpgradeInProgressReason(running).find("stage Aligned is Running"), std::string::npos);
  EXPECT_EQ(WorkloadClusters({"global", "a", "b"}), (std::vector<std::string>{"a", "b"}));
}

// Era A has no cvsh: a global ModuleInfo whose spec.version is ahead of status.version is the
// Functional Components upgrade running.
TEST(SafetyRailsTest, EraAUpgradeIsAGlobalComponentMoving) {
  auto info = [](const std::string& cluster, const std::string& spec, const std::string& status) {
    return json{
        {"metadata",
         {{"name", cluster + "-base"},
          {"labels", {{"cpaas.io/cluster-name", cluster}, {"cpaas.io/module-name", "base"}}}}},
        {"spec", {{"version", spec}}},
        {"status", {{"version", status}}}};
  };
  EXPECT_EQ(ComponentsMovingReason(json::object()), "");
  json settled = {{"items", {info("global", "v4.1.0", "v4.1.0"), info("a", "v4.1.0", "v4.0.0")}}};
  EXPECT_EQ(ComponentsMovingReason(settled), "");
  json moving = {{"items", {info("global", "v4.1.0", "v4.0.3")}}};
  EXPECT_EQ(ComponentsMovingReason(moving),
            "Era A: component base of global is moving from v4.0.3 to v4.1.0 (ModuleInfo "
            "global-base spec.version != status.version)");
}

json Object(const std::string& name, json labels, json spec, json status = json::object()) {
  return {{"metadata", {{"name", name}, {"labels", labels}}}, {"spec", spec}, {"status", status}};
}

PlatformRecords SampleRecords() {
  PlatformRecords records;
  records.module_plugins = {
      Object("logging", {{"cpaas.io/lifecycle-type", "Aligned"}}, {{"displayName", "Logging"}}),
      Object("core-thing", {{"cpaas.io/lifecycle-type", "Core"}}, json::object()),
      Object("orphan", json::object(), json::object())};
  records.module_infos = {
      Object("global-abc",
             {{"cpaas.io/module-name", "logging"}, {"cpaas.io/cluster-name", "global"}},
             {{"version", "v4.1.0"}}, {{"version", "v4.0.0"}}),
      Object("a-def", {{"cpaas.io/module-name", "logging"}, {"cpaas.io/cluster-name", "a"}},
             {{"version", "v4.1.0"}}),
      Object("global-core",
             {{"cpaas.io/module-name", "core-thing"}, {"cpaas.io/cluster-name", "global"}},
             {{"version", "v1"}})};
  records.module_configs = {
      Object("logging-v3.9.0", {{"cpaas.io/module-name", "logging"}}, {{"version", "v3.9.0"}}),
      Object("logging-v4.0.0", {{"cpaas.io/module-name", "logging"}}, {{"version", "v4.0.0"}}),
      Object("logging-v4.2.0", {{"cpaas.io/module-name", "logging"}}, {{"version", "v4.2.0"}}),
      Object("orphan-v1", {{"cpaas.io/module-name", "orphan"}}, {{"version", "v1"}})};
  // json::array: `= {one}` would copy the one object under clang (CWG 1467), not wrap it.
  records.operator_views = json::array({Object("topolvm-a", json::object(),
                                               {{"operator", "topolvm-operator"},
                                                {"cluster", "a"},
                                                {"version", "v2.3.0"},
                                                {"displayName", "TopoLVM"}})});
  return records;
}

TEST(InstalledExtensionsTest, AppsYamlHasTheSpecShapeWithoutCore) {
  const std::string text = ApplicationsYaml(InstalledExtensions(SampleRecords()), {});
  YAML::Node apps = YAML::Load(text)["applications"];
  ASSERT_TRUE(apps.IsMap()) << text;
  EXPECT_EQ(apps.size(), 2u) << text;  // logging and topolvm-operator; not core-thing
  EXPECT_EQ(apps["logging"]["type"].as<std::string>(), "ModulePlugin");
  EXPECT_EQ(apps["logging"]["displayName"].as<std::string>(), "Logging");
  ASSERT_EQ(apps["logging"]["installed"].size(), 2u);
  EXPECT_EQ(apps["logging"]["installed"][0]["clusterName"].as<std::string>(), "a");
  EXPECT_EQ(apps["logging"]["installed"][0]["version"].as<std::string>(), "v4.1.0");
  EXPECT_EQ(apps["logging"]["installed"][1]["version"].as<std::string>(), "v4.0.0");  // status
  EXPECT_EQ(apps["topolvm-operator"]["type"].as<std::string>(), "OperatorBundle");

  YAML::Node only_global = YAML::Load(
      ApplicationsYaml(InstalledExtensions(SampleRecords()), {"global"}))["applications"];
  EXPECT_EQ(only_global.size(), 1u);
  EXPECT_EQ(only_global["logging"]["installed"].size(), 1u);
  EXPECT_EQ(ApplicationsYaml({}, {}), "applications: {}\n");
}

json Artifact(const std::string& name, const std::string& type, const std::string& package) {
  json artifact = Object(name, {{kPackageNameLabel, package}}, {{"type", type}});
  artifact["metadata"]["namespace"] = "cpaas-system";
  return artifact;
}
json Version(const std::string& name, const std::string& artifact, const std::string& tag) {
  json version = Object(name, {{kArtifactVersionLabel, artifact}}, {{"tag", tag}});
  version["metadata"]["namespace"] = "cpaas-system";
  return version;
}

TEST(GcPlanTest, CollectsUninstalledAndOlderButKeepsInstalledAndNewer) {
  ClusterArtifacts a{"a"};
  a.artifacts = {Artifact("operatorhub-topolvm-operator", "bundle", "topolvm-operator"),
                 Artifact("operatorhub-gone", "bundle", "gone"),
                 Artifact("cluster-plugin-x", "plugin", "x")};
  a.artifact_versions = {Version("t.v2.2.0", "operatorhub-topolvm-operator", "v2.2.0"),
                         Version("t.v2.3.0", "operatorhub-topolvm-operator", "v2.3.0"),
                         Version("t.v2.4.0", "operatorhub-topolvm-operator", "v2.4.0"),
                         Version("g.v1", "operatorhub-gone", "v1")};
  std::vector<GcItem> items = PlanGc({a}, SampleRecords(), true);
  std::vector<std::string> names;
  for (const GcItem& item : items)
    names.push_back(item.type + " " + item.name + " " + item.cluster);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "ArtifactVersion t.v2.2.0 a", "ArtifactVersion g.v1 a",
                       "Artifact operatorhub-gone a", "ModuleConfig logging-v3.9.0 global",
                       "ModuleConfig orphan-v1 global", "ModulePlugin orphan global"}));
  EXPECT_EQ(PlanGc({}, SampleRecords(), false).size(), 0u);
}

TEST(GcPlanTest, SummaryTableOrNothingDeleted) {
  EXPECT_EQ(FormatGcSummary({}), "No resources were deleted.\n");
  EXPECT_EQ(FormatGcSummary({{"Artifact", "operatorhub-gone", "a", "ns"}}),
            "GC Summary:\n"
            "TYPE       NAME               CLUSTER\n"
            "Artifact   operatorhub-gone   a\n");
}

TEST(ShowFormatTest, PrintsTheOriginalFields) {
  EXPECT_EQ(FormatShow(Bundle(), false),
            "Name: topolvm-operator\nType: bundle\nArch: [linux/amd64]\nVersion: v2.3.0\n");
  EXPECT_EQ(FormatShow(Bundle(), true),
            "Name: topolvm-operator\nType: bundle\nArch: [linux/amd64]\nVersion: v2.3.0\n"
            "Artifact: acp/topolvm-operator-bundle:v2.3.0\nRelateImages: [acp/topolvm:v2.3.0]\n");
}

}  // namespace
}  // namespace violet
