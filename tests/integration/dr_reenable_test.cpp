// `ac adm dr failover` then `ac adm dr reenable` the other way round on a local DR pair
// (dr_harness.h) whose plugin config names its source, as a real one does: the re-enable
// copies the new primary's k8sadmin token to the old primary and runs the bootstrap
// in-process (4.3.1+), re-creates the plugin there with its config turned around, and the
// harness - playing the plugin, so it runs etcd-sync FROM THAT CONFIG - then syncs the new
// primary to the old one: a write on the new active reaches the new standby, /check 0/0/0.
// No Elasticsearch on the standby: the failover passes §8.7 step 1 without --confirm.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "apiserver/api_server.h"
#include "apiserver/platform_table.h"
#include "common/base64.h"
#include "dr_harness.h"
#include "platform/resources.h"
#include "support/child_process.h"

namespace {

using dr_testing::DrPair;
using nlohmann::json;

constexpr const char* kAdminToken = "new-primary-k8sadmin-token";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string HostPort(const std::string& url) {
  const auto scheme = url.find("://");
  return scheme == std::string::npos ? url : url.substr(scheme + 3);
}

std::string Data(const absl::StatusOr<json>& secret, const std::string& key) {
  if (!secret.ok() || !secret->contains("data") || !(*secret)["data"].contains(key)) return "";
  return common::DecodeBase64((*secret)["data"][key].get<std::string>()).value_or("");
}

json SecretObject(const std::string& ns, const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& data) {
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", name}, {"namespace", ns}}},
                 {"data", json::object()}};
  for (const auto& [key, value] : data) secret["data"][key] = common::EncodeBase64(value);
  return secret;
}

void MustCreate(k8s::RestClient& client, const k8s::ResourceRef& ref, const std::string& ns,
                const json& object) {
  auto created = client.Create(ref, ns, object);
  ASSERT_TRUE(created.ok()) << created.status();
}

TEST(DrReenableTest, TheReversedDirectionSyncsFromTheRewrittenConfigAfterTheBootstrap) {
  dr_testing::DrPairOptions options;
  options.plugin_config_names_source = true;
  DrPair pair(options);
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
  // The controller follows the config: before the failover, primary -> standby.
  std::vector<std::string> argv = pair.sync_argv();
  ASSERT_GE(argv.size(), 5u);
  EXPECT_EQ(argv[2], pair.primary_etcd().url());
  EXPECT_EQ(argv[4], pair.standby_etcd().url());
  // No workload cluster behind the proxy (warlock is covered by dr_gates_test).
  ASSERT_TRUE(pair.primary().Delete(platform::kClusters, "", "business-1").ok());
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();

  // No Elasticsearch on the standby: §8.7 step 1 needs no --confirm.
  auto failover =
      pair.RunAc("failover", {"--confirm", "remove-2379-forwarding", "--confirm", "switch-dns",
                              "--confirm", "check-dns", "--confirm", "confirm-console"});
  ASSERT_EQ(failover.exit_code, 0) << failover.output;
  EXPECT_NE(failover.output.find("ensure-es-template       not needed: Elasticsearch is not "
                                 "installed on the standby"),
            std::string::npos)
      << failover.output;
  EXPECT_FALSE(pair.sync_running());

  // The new primary (the old standby) runs 4.3.1: its k8sadmin token, its etcd CA, and its
  // platform address https://<VIP>/kubernetes/global (a second stand-in over its etcd, with
  // TLS); the old primary trusts that address through the platform certificate both share.
  testing_support::RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                             pair.dir().File("pki") + "'");
  apiserver::ApiServerOptions vip_options;
  vip_options.token = common::Secret(kAdminToken);
  vip_options.certs_dir = pair.dir().File("pki");
  vip_options.tls_token_only = true;
  vip_options.resources = apiserver::PlatformResourceTable();
  vip_options.platform_clusters = {{"global", &pair.standby_etcd().client()}};
  apiserver::ApiServer vip_server(pair.standby_etcd().client(), vip_options);
  ASSERT_TRUE(vip_server.Start().ok());
  const std::string vip = "127.0.0.1:" + std::to_string(vip_server.port());

  auto cvsh =
      pair.standby().Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  ASSERT_TRUE(cvsh.ok()) << cvsh.status();
  (*cvsh)["status"]["current"]["version"] = "4.3.1";
  ASSERT_TRUE(
      pair.standby()
          .UpdateStatus(platform::kClusterVersionShadows, platform::kPlatformNamespace, *cvsh)
          .ok());
  MustCreate(pair.standby(), platform::kSecrets, platform::kPlatformNamespace,
             SecretObject(platform::kPlatformNamespace, "k8sadmin", {{"token", kAdminToken}}));
  testing_support::RunScript("cd '" + pair.dir().path() +
                             "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                             "-nodes -days 10 -subj /CN=etcd-ca -keyout etcd-ca.key -out "
                             "etcd-ca.crt 2>/dev/null");
  const std::string ca_cert = ReadFile(pair.dir().File("etcd-ca.crt"));
  MustCreate(
      pair.standby(), platform::kSecrets, "kube-system",
      SecretObject("kube-system", "etcd-ca",
                   {{"tls.crt", ca_cert}, {"tls.key", ReadFile(pair.dir().File("etcd-ca.key"))}}));
  MustCreate(pair.primary(), platform::kSecrets, platform::kPlatformNamespace,
             SecretObject(platform::kPlatformNamespace, "dex.tls",
                          {{"tls.crt", ReadFile(pair.dir().File("pki/server.crt"))}}));

  pair.SwapRoles();
  auto reenable =
      pair.RunAc("reenable", {"--confirm", "restore-2379-forwarding", "--primary-vip", vip});
  ASSERT_EQ(reenable.exit_code, 0) << reenable.output << pair.SyncLogs();
  EXPECT_NE(reenable.output.find("etcd-sync-active-cluster-token on the standby created"),
            std::string::npos)
      << reenable.output;
  EXPECT_NE(reenable.output.find("bootstrap done against " + vip), std::string::npos)
      << reenable.output;
  EXPECT_NE(reenable.output.find("plugin config reversed"), std::string::npos) << reenable.output;
  EXPECT_EQ(reenable.output.find(kAdminToken), std::string::npos) << "the token was printed";

  // The token Secret and what the bootstrap prepared, on the new standby (the old primary).
  EXPECT_EQ(Data(pair.primary().Get(platform::kSecrets, platform::kPlatformNamespace,
                                    "etcd-sync-active-cluster-token"),
                 "token"),
            kAdminToken);
  EXPECT_EQ(
      Data(pair.primary().Get(platform::kSecrets, platform::kPlatformNamespace, "remote-etcd-ca"),
           "tls.crt"),
      ca_cert);
  std::ofstream(pair.dir().File("remote-client.crt")) << Data(
      pair.primary().Get(platform::kSecrets, platform::kPlatformNamespace, "remote-etcd-client"),
      "tls.crt");
  auto verified = testing_support::RunCommand("openssl verify -purpose sslclient -CAfile '" +
                                              pair.dir().File("etcd-ca.crt") + "' '" +
                                              pair.dir().File("remote-client.crt") + "' 2>&1");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;

  // The plugin on the old primary with its config turned around, none on the new primary.
  auto plugin = pair.primary().Get(platform::kModuleInfos, "", dr_testing::kPluginName);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ((*plugin)["spec"]["config"]["active-global-vip"], vip);
  const std::string source = HostPort(pair.standby_etcd().url());
  EXPECT_EQ((*plugin)["spec"]["config"]["source-endpoints"], source);
  auto none = pair.standby().List(platform::kModuleInfos, "", "cpaas.io/module-name=etcd-sync");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)["items"].empty());

  // etcd-sync runs from that config: new primary's etcd -> old primary's.
  argv = pair.sync_argv();
  ASSERT_GE(argv.size(), 5u);
  EXPECT_EQ(argv[2], source);
  EXPECT_EQ(argv[4], pair.primary_etcd().url());

  // A write on the new active reaches the new standby, and /check says 0/0/0.
  MustCreate(pair.standby(), platform::kConfigMaps, "team-a",
             {{"metadata", {{"name", "after-failover"}, {"namespace", "team-a"}}},
              {"data", {{"written", "on the new primary"}}}});
  bool arrived = false;
  for (int i = 0; i < 150 && !arrived; ++i) {
    arrived = pair.primary().Get(platform::kConfigMaps, "team-a", "after-failover").ok();
    if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(arrived) << pair.SyncLogs();
  EXPECT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
}

}  // namespace
