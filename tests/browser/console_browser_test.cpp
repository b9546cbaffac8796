// `ac console` in a real browser (Debian's Chromium driven by playwright-core, pinned in
// web/package.json) on a local DR pair (dr_harness.h: two etcds, stand-in API servers,
// etcd-sync with its monitor): the Clusters page live through the watch, the Upgrade dialog
// end to end (read back with kubectl), the DR page's leader, lag plot and a standby-only key
// as surplus, 401 without the token, the keyboard reaching every control. Screenshots go to
// <build>/browser-screenshots. Skipped, with the reason, only without chromium or node.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "apiserver/platform_table.h"
#include "dr/journal.h"
#include "dr/plan.h"
#include "integration/dr_harness.h"
#include "integration/kubectl_runner.h"
#include "platform/resources.h"
#include "support/child_process.h"
#include "support/http_get.h"

namespace {

using dr_testing::DrPair;
using nlohmann::json;

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Why the browser test cannot run here, or "" when it can.
std::string MissingBrowserTools() {
  if (access("/usr/bin/chromium", X_OK) != 0) {
    return "no /usr/bin/chromium (Debian package chromium; scripts/install-deps.sh installs it)";
  }
  if (testing_support::RunShell("command -v node >/dev/null").exit_code != 0) {
    return "no node on the PATH (scripts/install-deps.sh installs nodejs and npm)";
  }
  if (access(PROJECT_SOURCE_DIR "/web/node_modules/playwright-core/package.json", R_OK) != 0) {
    return "no web/node_modules/playwright-core (run npm ci in web/: scripts/install-deps.sh)";
  }
  return "";
}

// Create, then set the status; the platform simulator may update the object in between
// (a conflict), so the status is set again on the fresh copy.
void Put(k8s::RestClient& client, const json& object) {
  auto created = client.Create(platform::kModuleInfos, "", object);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::Status last;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto fresh = client.Get(platform::kModuleInfos, "", object["metadata"]["name"]);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    (*fresh)["status"] = object["status"];
    auto updated = client.UpdateStatus(platform::kModuleInfos, "", *fresh);
    if (updated.ok()) return;
    last = updated.status();
  }
  FAIL() << last;
}

json ModuleInfo(const std::string& module, const std::string& version,
                const std::vector<std::string>& available) {
  json versions = json::array();
  for (const std::string& v : available) versions.push_back({{"version", v}});
  return {
      {"apiVersion", "cluster.alauda.io/v1alpha1"},
      {"kind", "ModuleInfo"},
      {"metadata",
       {{"name", "global-" + module},
        {"labels", {{"cpaas.io/cluster-name", "global"}, {"cpaas.io/module-name", module}}}}},
      {"spec", {{"version", version}}},
      {"status", {{"version", version}, {"phase", "Running"}, {"availableVersions", versions}}}};
}

TEST(ConsoleBrowserTest, PagesInChromium) {
  if (std::string missing = MissingBrowserTools(); !missing.empty()) {
    GTEST_SKIP() << "browser test skipped: " << missing;
  }
  DrPair pair;
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();

  // The global cluster's components: one to upgrade, the 4.2.1 trap (only a lower version
  // offered), Kubernetes (optional), one with a choice of Targets, one left alone.
  Put(pair.primary(), ModuleInfo("acp-base", "4.1.0", {"4.2.0"}));
  Put(pair.primary(), ModuleInfo("logging", "4.1.2", {"4.1.0"}));
  Put(pair.primary(), ModuleInfo("kubernetes", "1.30.5", {"1.31.2"}));
  Put(pair.primary(), ModuleInfo("monitoring", "4.1.0", {"4.1.5", "4.2.0"}));
  Put(pair.primary(), ModuleInfo("tools", "4.1.0", {"4.2.0"}));
  // An update the Clusters page can request (the CVO's availableUpdates).
  auto cvsh =
      pair.primary().Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  ASSERT_TRUE(cvsh.ok()) << cvsh.status();
  (*cvsh)["status"]["availableUpdates"] = json::array({{{"version", "4.2.0"}}});
  // The last preflight, one check failed with its fix (as upgrade-core records it).
  (*cvsh)["status"]["preflight"] = {
      {"observedAt", "2026-01-01T00:00:00Z"},
      {"targetVersion", "4.2.0"},
      {"result", "Failed"},
      {"checks",
       {{{"name", "ClusterHealthy"}, {"state", "Passed"}, {"message", "ok"}},
        {{"name", "AdminAckRequired"},
         {"state", "Failed"},
         {"reason", "AdminAckRequired"},
         {"message",
          "gates not acknowledged: ack-4.2-api — then: kubectl -n cpaas-system patch "
          "configmap admin-acks"}}}}};
  ASSERT_TRUE(
      pair.primary()
          .UpdateStatus(platform::kClusterVersionShadows, platform::kPlatformNamespace, *cvsh)
          .ok());
  // A DR upgrade that stopped after two steps: the page shows it and how to resume.
  dr::Journal journal =
      dr::NewJournal(dr::kUpgrade, {"check", "uninstall-plugin", "push-images"}, "4.1.0", "4.2.0");
  journal.steps[0].state = journal.steps[1].state = dr::StepState::kDone;
  std::ofstream(pair.dir().File(dr::DefaultJournalFile(dr::kUpgrade)))
      << dr::JournalToJson(journal).dump();
  // A key only the standby has: "Check now" must report it as surplus (and nothing repairs it).
  ASSERT_TRUE(pair.standby()
                  .Create(platform::kConfigMaps, "team-a",
                          {{"metadata", {{"name", "standby-only"}, {"namespace", "team-a"}}},
                           {"data", {{"a", "b"}}}})
                  .ok());
  // The lag plot needs samples in the monitor's history.
  for (int i = 0; i < 100; ++i) {
    auto history = testing_support::HttpGet(pair.monitor_url() + "/lag-history");
    json parsed = json::parse(history.body, nullptr, false);
    if (history.status == 200 && parsed.is_object() &&
        parsed.value("samples", json::array()).size() >= 2)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }

  const std::string primary_kubeconfig = pair.dir().File("primary.kubeconfig");
  std::vector<std::string> args = pair.AcArgs("check");
  std::vector<std::string> console = {AC_BINARY,
                                      "console",
                                      "--kubeconfig",
                                      primary_kubeconfig,
                                      "--standby-kubeconfig",
                                      pair.dir().File("standby.kubeconfig"),
                                      "--monitor-url",
                                      pair.monitor_url(),
                                      "--listen",
                                      "127.0.0.1:0",
                                      "--journal-dir",
                                      pair.dir().path()};
  // The gates' flags as `ac adm dr check` gets them.
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--standby-vip" || args[i] == "--primary-etcd-endpoints") {
      console.push_back(args[i]);
      console.push_back(args[i + 1]);
    }
  }
  testing_support::ChildProcess server(console, pair.dir().File("console.log"));
  ASSERT_TRUE(server.WaitForLog("ac console: open ", std::chrono::seconds(10))) << server.Log();
  const std::string log = server.Log();
  const size_t start = log.find("http://");
  const std::string url = log.substr(start, log.find('\n', start) - start);

  const std::string shots = BROWSER_SCREENSHOT_DIR;
  auto run = testing_support::RunShell(
      "cd " + Quote(PROJECT_SOURCE_DIR "/web") + " && CONSOLE_URL=" + Quote(url) +
      " WEB_DIR=" + Quote(PROJECT_SOURCE_DIR "/web") + " SCREENSHOT_DIR=" + Quote(shots) +
      " CHROMIUM=/usr/bin/chromium node " +
      Quote(PROJECT_SOURCE_DIR "/tests/browser/console_pages.mjs") + " 2>&1");
  EXPECT_EQ(run.exit_code, 0) << run.output << "\nconsole log:\n" << server.Log();
  std::cout << run.output;

  // What the dialog wrote, read back with kubectl (through a TLS + token stand-in over the
  // primary's etcd): Targets where chosen, nothing else moved.
  if (!testing_support::HaveKubectl()) GTEST_SKIP() << "kubectl not installed (install-deps.sh)";
  testing_support::KubectlRunner kubectl(
      pair.primary_etcd().client(), apiserver::PlatformResourceTable(), pair.dir().File("kubectl"));
  ASSERT_TRUE(kubectl.Start().ok());
  const auto spec_version = [&](const std::string& module) {
    auto got = kubectl.Run("get moduleinfoes.cluster.alauda.io global-" + module +
                           " -o jsonpath='{.spec.version}'");
    EXPECT_EQ(got.exit_code, 0) << got.output;
    return got.output;
  };
  EXPECT_EQ(spec_version("acp-base"), "4.2.0");
  EXPECT_EQ(spec_version("monitoring"), "4.1.5");
  EXPECT_EQ(spec_version("logging"), "4.1.2") << "the 4.2.1 trap: never a downgrade";
  EXPECT_EQ(spec_version("kubernetes"), "1.30.5") << "Kubernetes was left unticked";
  EXPECT_EQ(spec_version("tools"), "4.1.0") << "Do not upgrade";
  // The upgrade request from the Clusters page, as `ac adm upgrade --to 4.2.0` writes it.
  auto desired = kubectl.Run(
      "-n cpaas-system get clusterversionshadows.upgrade.alauda.io global -o "
      "jsonpath='{.spec.desiredUpdate.version}'");
  EXPECT_EQ(desired.output, "4.2.0") << desired.output;
  // Surplus is reported, never repaired.
  EXPECT_TRUE(pair.standby().Get(platform::kConfigMaps, "team-a", "standby-only").ok());
  for (const char* shot : {"clusters.png", "upgrade-dialog.png", "dr.png"}) {
    EXPECT_EQ(access((shots + "/" + shot).c_str(), R_OK), 0) << shot;
  }
}

}  // namespace
