// An exec credential plugin (a bash script the test writes) end to end: kubeconfig -> plugin ->
// token -> the stand-in API server; its credential cached, and run again once on a 401.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "apiserver/api_server.h"
#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "k8s/rest_config.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"
#include "support/test_resources.h"

namespace {

using test_resources::kConfigMaps;

class K8sExecTest : public ::testing::Test {
 protected:
  K8sExecTest() : etcd_(dir_.path(), "etcd") {
    apiserver::ApiServerOptions options;
    options.token = common::Secret("good-token");
    options.resources = {{"", "v1", "configmaps", "ConfigMap", true, ""}};
    server_ = std::make_unique<apiserver::ApiServer>(etcd_.client(), std::move(options));
    const absl::Status started = server_->Start();
    EXPECT_TRUE(started.ok()) << started;
  }

  // A plugin whose first run prints `first_token`, every later run "good-token"; it counts
  // its runs in the file "runs".
  std::string Kubeconfig(const std::string& first_token,
                         const std::string& expiry = "2999-01-01T00:00:00Z") {
    const std::string plugin = dir_.File("bin/get-token");
    std::filesystem::create_directories(dir_.File("bin"));
    std::ofstream(plugin) << "#!/bin/bash\n"
                             "echo run >> \"$RUNS\"\n"
                             "token=good-token\n"
                             "[ \"$(wc -l < \"$RUNS\")\" = 1 ] && token=\"$1\"\n"
                             "echo '{\"apiVersion\": \"client.authentication.k8s.io/v1\", "
                             "\"kind\": \"ExecCredential\", \"status\": {\"token\": \"'$token'\", "
                             "\"expirationTimestamp\": \""
                          << expiry << "\"}}'\n";
    chmod(plugin.c_str(), 0700);
    const std::string path = dir_.File("kubeconfig");
    std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                           "clusters: [{name: k, cluster: {server: '"
                        << server_->url()
                        << "'}}]\n"
                           "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                           "users:\n- name: u\n  user:\n    exec:\n"
                           "      apiVersion: client.authentication.k8s.io/v1\n"
                           "      interactiveMode: Never\n"
                           "      command: ./bin/get-token\n"
                           "      args: ['"
                        << first_token << "']\n      env: [{name: RUNS, value: '"
                        << dir_.File("runs") << "'}]\n";
    return path;
  }

  int Runs() {
    std::ifstream runs(dir_.File("runs"));
    std::string line;
    int count = 0;
    while (std::getline(runs, line)) ++count;
    return count;
  }

  testing_support::TempDir dir_;
  testing_support::EtcdMember etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
};

TEST_F(K8sExecTest, PluginTokenReachesTheServerAndIsCached) {
  auto config = k8s::LoadKubeconfig(Kubeconfig("good-token"));
  ASSERT_TRUE(config.ok()) << config.status();
  k8s::RestClient client(*config);
  for (int i = 0; i < 3; ++i) {
    auto listed = client.List(kConfigMaps, "default");
    ASSERT_TRUE(listed.ok()) << listed.status();
  }
  EXPECT_EQ(Runs(), 1);
}

TEST_F(K8sExecTest, RefusedTokenRunsThePluginAgainOnce) {
  auto config = k8s::LoadKubeconfig(Kubeconfig("revoked-token"));
  ASSERT_TRUE(config.ok()) << config.status();
  k8s::RestClient client(*config);
  auto listed = client.List(kConfigMaps, "default");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(Runs(), 2);
  ASSERT_TRUE(client.List(kConfigMaps, "default").ok());
  EXPECT_EQ(Runs(), 2);
}

TEST_F(K8sExecTest, ExpiredCredentialRunsThePluginAgain) {
  auto config = k8s::LoadKubeconfig(Kubeconfig("good-token", "2000-01-01T00:00:00Z"));
  ASSERT_TRUE(config.ok()) << config.status();
  k8s::RestClient client(*config);
  ASSERT_TRUE(client.List(kConfigMaps, "default").ok());
  ASSERT_TRUE(client.List(kConfigMaps, "default").ok());
  EXPECT_EQ(Runs(), 2);
}

}  // namespace
