// release.yaml parsing, the version rules, and the status view's state, exit code, waiting-on
// and elapsed time over ClusterVersionShadows as the CVO writes them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "support/temp_dir.h"
#include "upgrade/release_manifest.h"
#include "upgrade/status_view.h"
#include "upgrade/version_rules.h"

namespace upgrade {
namespace {

using nlohmann::json;

TEST(ReleaseManifestTest, ParsesAndListsEveryImageOnce) {
  auto release = ParseReleaseManifest(R"(version: 4.3.0
productImage: acp/product-image:v4.3.0
cvoImage: acp/cluster-version-operator:v4.3.0
images: [acp/component-0:v1, acp/cluster-version-operator:v4.3.0]
)",
                                      "release.yaml");
  ASSERT_TRUE(release.ok()) << release.status();
  EXPECT_EQ(release->version, "4.3.0");
  EXPECT_EQ(release->AllImages(),
            (std::vector<std::string>{"acp/component-0:v1", "acp/cluster-version-operator:v4.3.0",
                                      "acp/product-image:v4.3.0"}));
  EXPECT_EQ(ImageAt("10.0.0.1:11443", release->cvo_image),
            "10.0.0.1:11443/acp/cluster-version-operator:v4.3.0");
}

TEST(ReleaseManifestTest, MistakesNameFileAndField) {
  auto no_version = ParseReleaseManifest("productImage: a/b:1\ncvoImage: a/c:1\n", "rel.yaml");
  EXPECT_FALSE(no_version.ok());
  EXPECT_NE(no_version.status().message().find("rel.yaml: version"), std::string::npos);
  auto bad_image =
      ParseReleaseManifest("version: 4.3.0\nproductImage: a/b:1\ncvoImage: nope\n", "rel.yaml");
  EXPECT_NE(bad_image.status().message().find("cvoImage must be repository:tag"),
            std::string::npos);
  auto unknown = ParseReleaseManifest(
      "version: 4.3.0\nproductImage: a/b:1\ncvoImage: a/c:1\nimagez: []\n", "rel.yaml");
  EXPECT_NE(unknown.status().message().find("unknown key \"imagez\""), std::string::npos);
  auto missing = ReadReleaseManifest("/nonexistent/release.yaml");
  EXPECT_NE(missing.status().message().find("--release"), std::string::npos);
}

// A hostile release.yaml (the package is input): too deep, too large, or no regular file is
// refused with one line naming it, quoting none of it.
TEST(ReleaseManifestTest, HostileReleaseFilesAreRefusedWithOneLine) {
  std::string block = "version: 4.3.0\nimages:\n";
  for (int level = 1; level < 100; ++level) block += std::string(level, ' ') + "- \n";
  const struct {
    std::string name, yaml, expected;
  } cases[] = {
      {"deep block", block, "rel.yaml nests deeper than 16 levels"},
      {"deep flow", "images: " + std::string(100000, '[') + std::string(100000, ']'),
       "rel.yaml nests deeper than 16 levels"},
      {"large", "version: " + std::string(2 << 20, '4'), "rel.yaml is 2097161 bytes, more than"},
      {"long image",
       "version: 4.3.0\nproductImage: " + std::string(100000, 'x') + "\ncvoImage: a/c:1\n",
       "productImage must be repository:tag"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto release = ParseReleaseManifest(c.yaml, "rel.yaml");
    ASSERT_FALSE(release.ok());
    const std::string message(release.status().message());
    EXPECT_NE(message.find(c.expected), std::string::npos) << message.substr(0, 300);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message.substr(0, 300);
    EXPECT_LT(message.size(), 500u) << message.substr(0, 300);
  }
  testing_support::TempDir dir;
  ASSERT_EQ(mkfifo(dir.File("release.yaml").c_str(), 0600), 0);
  auto fifo = ReadReleaseManifest(dir.File("release.yaml"));  // used to block forever
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(std::string(fifo.status().message()).find("is a FIFO, not a regular file"),
            std::string::npos)
      << fifo.status();
}

TEST(VersionRulesTest, PathsAndKubernetesRanges) {
  EXPECT_EQ(MinorOf("v4.3.1-rc.1"), "4.3");
  EXPECT_TRUE(UpgradePathSupported("4.1.2", "4.3.0"));
  EXPECT_TRUE(UpgradePathSupported("3.18.1", "4.1.0"));
  EXPECT_FALSE(UpgradePathSupported("3.16.0", "4.1.0"));
  EXPECT_FALSE(UpgradePathSupported("4.3.0", "4.3.0"));
  EXPECT_TRUE(UpgradePathSupported("4.4.1", "4.5.0"));  // unknown target: previous minor
  const KubernetesRange to43 = KubernetesRangeFor("4.2.0", "4.3.0");
  EXPECT_TRUE(KubernetesInRange("v1.34.0", to43));
  EXPECT_FALSE(KubernetesInRange("v1.35.0", to43));
  EXPECT_FALSE(KubernetesInRange("v1.30.0", to43));
  EXPECT_TRUE(KubernetesInRange("v1.32.0", KubernetesRangeFor("4.1.0", "4.2.0")));
  EXPECT_FALSE(KubernetesInRange("v1.31.0", KubernetesRangeFor("4.1.0", "4.2.0")));
}

json Shadow() {
  return {
      {"metadata", {{"name", "global"}}},
      {"spec", {{"desiredUpdate", {{"version", "4.3.0"}}}}},
      {"status",
       {{"current", {{"version", "4.2.1"}}},
        {"desired", {{"version", "4.3.0"}}},
        {"history",
         {{{"version", "4.3.0"}, {"state", "Partial"}, {"startedTime", "2026-01-01T10:00:00Z"}}}},
        {"stages",
         {{{"name", "Core"}, {"phase", "Finished"}},
          {{"name", "Aligned"}, {"phase", "Running"}},
          {{"name", "Kubernetes"}, {"phase", "Pending"}}}},
        {"conditions", {{{"type", "Reconciling"}, {"status", "True"}}}}}}};
}

std::chrono::system_clock::time_point At(int hour, int minute) {
  std::tm tm = {};
  tm.tm_year = 126;
  tm.tm_mon = 0;
  tm.tm_mday = 1;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

TEST(StatusViewTest, InProgressWaitsOnTheRunningStage) {
  const json document = StatusDocument(Shadow(), At(10, 42));
  EXPECT_EQ(document["state"], "Progressing");
  EXPECT_EQ(document["waitingOn"], "stage Aligned (Running)");
  EXPECT_EQ(document["elapsedSeconds"], 42 * 60);
  EXPECT_EQ(OutcomeOf(document), UpgradeOutcome::kInProgress);
  const std::string text = RenderStatusText(document);
  EXPECT_NE(text.find("Elapsed:     42m00s"), std::string::npos) << text;
  EXPECT_NE(text.find("Aligned       Running"), std::string::npos) << text;
  EXPECT_NE(ToYaml(document).find("waitingOn: stage Aligned (Running)"), std::string::npos);
}

TEST(StatusViewTest, StalledCompletedAndNotPickedUp) {
  json stalled = Shadow();
  stalled["status"]["conditions"].push_back(
      {{"type", "Stalled"}, {"status", "True"}, {"message", "stage Aligned failed"}});
  json document = StatusDocument(stalled, At(11, 0));
  EXPECT_EQ(document["state"], "Stalled");
  EXPECT_EQ(OutcomeOf(document), UpgradeOutcome::kBlocked);
  EXPECT_NE(document["waitingOn"].get<std::string>().find("stage Aligned failed"),
            std::string::npos);

  json done = Shadow();
  done["status"]["current"]["version"] = "4.3.0";
  done["status"]["history"][0]["state"] = "Completed";
  done["status"]["history"][0]["completionTime"] = "2026-01-01T11:05:30Z";
  done["status"]["conditions"] = {{{"type", "Reconciling"}, {"status", "False"}}};
  document = StatusDocument(done, At(12, 0));
  EXPECT_EQ(document["state"], "Completed");
  EXPECT_EQ(document["elapsedSeconds"], 3600 + 5 * 60 + 30);  // until completion, not now
  EXPECT_EQ(OutcomeOf(document), UpgradeOutcome::kCompleted);

  json requested = done;
  requested["spec"]["desiredUpdate"]["version"] = "4.3.1";
  document = StatusDocument(requested, At(12, 0));
  EXPECT_EQ(document["state"], "Progressing");
  EXPECT_NE(document["waitingOn"].get<std::string>().find("the CVO to start the upgrade to 4.3.1"),
            std::string::npos);
}

TEST(StatusViewTest, OverviewNeverCallsMissingPreflightPassed) {
  json cvsh = Shadow();
  cvsh["status"]["availableUpdates"] = {{{"version", "4.3.0"}, {"image", "r/acp/p:v4.3.0"}}};
  std::string text = RenderOverview(cvsh);
  EXPECT_NE(text.find("Preflight:          no result yet"), std::string::npos) << text;
  EXPECT_NE(text.find("4.3.0         r/acp/p:v4.3.0"), std::string::npos) << text;
  cvsh["status"]["preflight"] = {
      {"result", "Failed"},
      {"targetVersion", "4.3.0"},
      {"observedAt", "2026-01-01T09:00:00Z"},
      {"checks", {{{"name", "PlatformLicense"}, {"state", "Failed"}, {"message", "expired"}}}}};
  text = RenderOverview(cvsh);
  EXPECT_NE(text.find("Preflight:          Failed for 4.3.0"), std::string::npos) << text;
  EXPECT_NE(text.find("PlatformLicense"), std::string::npos);
  // A warning (policy Advisory) is shown as one, not as Failed.
  cvsh["status"]["preflight"]["checks"].push_back({{"name", "ElasticsearchV6"},
                                                   {"state", "Failed"},
                                                   {"policy", "Advisory"},
                                                   {"message", "v6 found"}});
  text = RenderOverview(cvsh);
  EXPECT_NE(text.find("ElasticsearchV6                   Warn    v6 found"), std::string::npos)
      << text;
  EXPECT_NE(text.find("PlatformLicense                   Failed  expired"), std::string::npos)
      << text;
}

// A ClusterVersionShadow comes from the cluster: mistyped history, stages, conditions or
// updates read as empty instead of throwing (json::value() threw type_error 302/306 here).
TEST(StatusViewTest, MistypedShadowIsShownNotThrown) {
  const json shadows[] = {
      {{"status", {{"history", {5}}, {"stages", {{{"name", 5}, {"phase", "Running"}}}}}}},
      {{"spec", {{"desiredUpdate", {{"version", "4.3.0"}}}}},
       {"status",
        {{"conditions", {"x", {{"type", "Stalled"}, {"status", "True"}, {"message", 7}}}},
         {"availableUpdates", {1, {{"version", 2}}}},
         {"preflight", {{"result", 1}, {"checks", {3, {{"state", false}}}}}}}}},
      {{"status",
        {{"stages", {"Core"}}, {"conditions", {{{"type", "Reconciling"}, {"status", "True"}}}}}},
       {"spec", {{"desiredUpdate", {{"version", "4.3.0"}}}}}}};
  for (const json& cvsh : shadows) {
    json document;
    ASSERT_NO_THROW(document = StatusDocument(cvsh, At(10, 0))) << cvsh;
    EXPECT_NO_THROW(RenderStatusText(document)) << cvsh;
    EXPECT_NO_THROW(RenderOverview(cvsh)) << cvsh;
    EXPECT_NO_THROW(OutcomeOf(document)) << cvsh;
  }
}

}  // namespace
}  // namespace upgrade
