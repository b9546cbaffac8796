// One discovery rule (--kubeconfig, else $KUBECONFIG, else ~/.kube/config; or the platform
// address) and one meaning for a cluster name, whichever way the cluster is reached.
#include "platform/connection.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "common/absl_fmt.h"
#include "support/temp_dir.h"

namespace {

// Sets (or clears) an environment variable for one test and puts it back afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string WriteKubeconfig(const std::string& path, const std::string& server) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: admin@global\n"
                         "clusters:\n- name: global\n  cluster:\n    server: "
                      << server
                      << "\nusers:\n- name: admin\n  user:\n    token: t0ken\n"
                         "contexts:\n- name: admin@global\n  context:\n    cluster: global\n"
                         "    user: admin\n";
  return path;
}

class ConnectionTest : public ::testing::Test {
 protected:
  testing_support::TempDir dir_;
  // No discovery from the machine running the tests.
  ScopedEnv kubeconfig_env_{"KUBECONFIG", nullptr};
  ScopedEnv home_{"HOME", dir_.path().c_str()};
};

TEST_F(ConnectionTest, KubeconfigNamesGlobalAndProxiesEveryOtherCluster) {
  platform::Connection connection;
  connection.kubeconfig = WriteKubeconfig(dir_.File("kubeconfig"), "https://10.0.0.1:6443/");
  auto global = platform::ConfigForCluster(connection, "global");
  ASSERT_TRUE(global.ok()) << global.status();
  EXPECT_EQ(global->server, "https://10.0.0.1:6443/");
  auto empty = platform::ConfigForCluster(connection, "");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->server, global->server);
  // The same name means the same cluster as with --platform-address (it used to be the
  // kubeconfig's cluster whatever the name said).
  auto biz1 = platform::ConfigForCluster(connection, "biz1");
  ASSERT_TRUE(biz1.ok()) << biz1.status();
  EXPECT_EQ(biz1->server, "https://10.0.0.1:6443/kubernetes/biz1");
  EXPECT_EQ(biz1->token.Reveal(), "t0ken");
  EXPECT_NE(biz1->source.find("cluster biz1"), std::string::npos) << biz1->source;
}

TEST_F(ConnectionTest, PlatformAddressReachesEveryClusterThroughTheProxy) {
  platform::Connection connection;
  connection.platform_address = "acp.example.com/";
  connection.platform_token = common::Secret("tok");
  auto global = platform::ConfigForCluster(connection, "");
  ASSERT_TRUE(global.ok()) << global.status();
  EXPECT_EQ(global->server, "https://acp.example.com/kubernetes/global");
  auto biz1 = platform::ConfigForCluster(connection, "biz1");
  ASSERT_TRUE(biz1.ok()) << biz1.status();
  EXPECT_EQ(biz1->server, "https://acp.example.com/kubernetes/biz1");
}

TEST_F(ConnectionTest, ClusterNameMustBeADnsLabel) {
  platform::Connection connection;
  connection.platform_address = "https://acp.example.com";
  connection.platform_token = common::Secret("tok");
  for (const std::string bad : {"../global", "biz1/api", "Biz1", "-biz", "biz-", "a b", "a?x"}) {
    auto config = platform::ConfigForCluster(connection, bad);
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << bad;
  }
  // A hostile name is refused in one bounded line.
  auto huge = platform::ConfigForCluster(connection, std::string(100000, 'a') + "\n");
  ASSERT_FALSE(huge.ok());
  EXPECT_LT(huge.status().message().size(), 400u);
  EXPECT_EQ(huge.status().message().find('\n'), std::string::npos);
  EXPECT_TRUE(platform::ConfigForCluster(connection, std::string(63, 'a')).ok());
  EXPECT_FALSE(platform::ConfigForCluster(connection, std::string(64, 'a')).ok());
}

TEST_F(ConnectionTest, DiscoveryOrderFlagThenEnvironmentThenHome) {
  platform::Connection connection;
  EXPECT_EQ(platform::KubeconfigPath(connection), "");
  auto none = platform::RequireConnection(connection);
  EXPECT_TRUE(absl::IsInvalidArgument(none));
  EXPECT_NE(none.message().find("--platform-address"), std::string::npos) << none;
  EXPECT_NE(none.message().find("--kubeconfig"), std::string::npos) << none;
  EXPECT_TRUE(absl::IsInvalidArgument(platform::ConfigForCluster(connection, "global").status()));

  const std::string home = WriteKubeconfig(dir_.File(".kube/config"), "https://home:6443");
  EXPECT_EQ(platform::KubeconfigPath(connection), home);
  EXPECT_TRUE(platform::RequireConnection(connection).ok());
  auto from_home = platform::ConfigForCluster(connection, "global");
  ASSERT_TRUE(from_home.ok()) << from_home.status();
  EXPECT_EQ(from_home->server, "https://home:6443");

  const std::string env = WriteKubeconfig(dir_.File("env-kubeconfig"), "https://env:6443");
  ScopedEnv kubeconfig("KUBECONFIG", env.c_str());
  EXPECT_EQ(platform::KubeconfigPath(connection), env);

  // KUBECONFIG=a:b (missing entries skipped): the first file that names the context wins.
  const std::string list = dir_.File("missing") + ":" + env + ":" + home;
  ScopedEnv kubeconfig_list("KUBECONFIG", list.c_str());
  auto from_list = platform::ConfigForCluster(connection, "global");
  ASSERT_TRUE(from_list.ok()) << from_list.status();
  EXPECT_EQ(from_list->server, "https://env:6443");

  connection.kubeconfig = dir_.File("flag-kubeconfig");
  EXPECT_EQ(platform::KubeconfigPath(connection), connection.kubeconfig);
}

TEST_F(ConnectionTest, PlatformCredentialsAreOneOfTokenOrUserAndPassword) {
  platform::Connection connection;
  connection.platform_address = "https://acp.example.com";
  connection.address_flag = "--primary-address";
  auto missing = platform::ConfigForCluster(connection, "global");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--primary-address needs an API token"),
            std::string::npos)
      << missing.status();
  connection.platform_username = "admin";
  EXPECT_TRUE(absl::IsInvalidArgument(platform::ConfigForCluster(connection, "global").status()));
  connection.platform_password = common::Secret("pw");
  auto basic = platform::ConfigForCluster(connection, "global");
  ASSERT_TRUE(basic.ok()) << basic.status();
  EXPECT_EQ(basic->username, "admin");
  connection.platform_token = common::Secret("tok");
  EXPECT_TRUE(absl::IsInvalidArgument(platform::ConfigForCluster(connection, "global").status()));
}

}  // namespace
