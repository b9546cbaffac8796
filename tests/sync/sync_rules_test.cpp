#include "sync/sync_rules.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace etcdsync {
namespace {

TEST(SyncRulesTest, ParsesRulesFromTextNamingThePathInErrors) {
  auto rules = ParseSyncRules("defaults: false\nexclude:\n  namespaces: [team-b]\n", "r.yaml");
  ASSERT_TRUE(rules.ok()) << rules.status();
  KubernetesKeyFilter filter("/registry/", *rules);
  EXPECT_FALSE(filter.Includes("/registry/pods/team-b/p"));
  EXPECT_TRUE(filter.Includes("/registry/events/team-a/e.1"));
  auto unknown = ParseSyncRules("excludes: []\n", "r.yaml");
  EXPECT_TRUE(absl::IsInvalidArgument(unknown.status()));
  EXPECT_NE(unknown.status().message().find("--rules r.yaml: unknown field excludes"),
            std::string::npos)
      << unknown.status();
}

TEST(SyncRulesTest, DefaultsKeepClusterLocalStateOut) {
  KubernetesKeyFilter filter("/registry/", DefaultSyncRules());
  for (const char* key :
       {"/registry/pods/cpaas-system/p", "/registry/secrets/kube-system/s",
        "/registry/configmaps/default/c", "/registry/namespaces/kube-system",
        "/registry/namespaces/operators", "/registry/minions/node-1",
        "/registry/leases/team-a/lock", "/registry/events/team-a/e.1",
        "/registry/services/endpoints/team-a/web", "/registry/endpointslices/team-a/web-abc",
        "/registry/masterleases/10.0.0.1", "/registry/serviceips",
        "/registry/ranges/servicenodeports", "/registry/csinodes/node-1"}) {
    EXPECT_FALSE(filter.Includes(key)) << key;
  }
  for (const char* key :
       {"/registry/pods/team-a/p", "/registry/namespaces/team-a",
        "/registry/services/specs/team-a/web", "/registry/platform.tkestack.io/machines/m-1",
        "/registry/clusterroles/admin"}) {
    EXPECT_TRUE(filter.Includes(key)) << key;
  }
  EXPECT_FALSE(filter.Includes("/other/key"));
}

// One file per test (ctest runs the tests as parallel processes sharing TempDir()).
std::string WriteRules(const std::string& text) {
  const std::string path = testing::TempDir() + "/rules-" +
                           testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(SyncRulesTest, FileAddsExclusionsAndIncludesWin) {
  auto rules = LoadSyncRules(WriteRules(R"(
exclude:
  namespaces: [team-secret]
  resources: [platform.tkestack.io/machines]
  patterns: ["/registry/secrets/*/sh.helm.release.*"]
include:
  namespaces: [default]
)"));
  ASSERT_TRUE(rules.ok()) << rules.status();
  KubernetesKeyFilter filter("/registry/", *rules);
  EXPECT_FALSE(filter.Includes("/registry/pods/team-secret/p"));
  EXPECT_FALSE(filter.Includes("/registry/namespaces/team-secret"));
  EXPECT_FALSE(filter.Includes("/registry/platform.tkestack.io/machines/m-1"));
  EXPECT_FALSE(filter.Includes("/registry/secrets/team-a/sh.helm.release.v1.app.v3"));
  EXPECT_TRUE(filter.Includes("/registry/secrets/team-a/other"));
  EXPECT_TRUE(filter.Includes("/registry/configmaps/default/c"));  // re-included
  EXPECT_FALSE(filter.Includes("/registry/pods/kube-system/p"));   // defaults still apply
}

TEST(SyncRulesTest, WithoutDefaultsOnlyTheFileCounts) {
  auto rules = LoadSyncRules(WriteRules("defaults: false\nexclude:\n  prefixes: [/registry/a/]\n"));
  ASSERT_TRUE(rules.ok()) << rules.status();
  KubernetesKeyFilter filter("/registry/", *rules);
  EXPECT_TRUE(filter.Includes("/registry/pods/kube-system/p"));
  EXPECT_FALSE(filter.Includes("/registry/a/b"));
}

TEST(SyncRulesTest, MistakesNameTheFileAndField) {
  auto typo = LoadSyncRules(WriteRules("exclude:\n  namespace: [a]\n"));
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(std::string(typo.status().message()).find("exclude.namespace"), std::string::npos)
      << typo.status();
  EXPECT_FALSE(LoadSyncRules(WriteRules("exclude: [a]\n")).ok());
  EXPECT_FALSE(LoadSyncRules(WriteRules("excludes: {}\n")).ok());
  auto missing = LoadSyncRules("/nonexistent/rules.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("--rules /nonexistent/rules.yaml"),
            std::string::npos);
}

// A rules file nested absurdly deep, too large, or no regular file: one line naming it and
// the limit, never a crash or a blocked start.
TEST(SyncRulesTest, HostileRulesFilesAreRefusedWithOneLine) {
  std::string block;
  for (int level = 0; level < 100; ++level) block += std::string(level, ' ') + "exclude:\n";
  const struct {
    std::string name, text, expected;
  } cases[] = {
      {"deep block", block, "the file nests deeper than 16 levels"},
      {"deep flow",
       "exclude: {prefixes: " + std::string(100000, '[') + std::string(100000, ']') + "}",
       "the file nests deeper than 16 levels"},
      {"large", "# " + std::string(2 << 20, 'x') + "\n", "more than the 1048576"},
      {"long field", "exclude:\n  " + std::string(1000, 'f') + ": [a]\n", "unknown field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto rules = LoadSyncRules(WriteRules(c.text));
    ASSERT_FALSE(rules.ok());
    const std::string message(rules.status().message());
    EXPECT_NE(message.find(c.expected), std::string::npos) << message.substr(0, 300);
    EXPECT_NE(message.find("--rules "), std::string::npos) << message.substr(0, 300);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message.substr(0, 300);
    EXPECT_LT(message.size(), 400u) << message.substr(0, 300);
  }
  const std::string fifo = testing::TempDir() + "/rules-" + std::to_string(getpid()) + ".fifo";
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto blocked = LoadSyncRules(fifo);  // used to block etcd-sync's start forever
  std::remove(fifo.c_str());
  ASSERT_FALSE(blocked.ok());
  EXPECT_NE(std::string(blocked.status().message()).find("is a FIFO, not a regular file"),
            std::string::npos)
      << blocked.status();
}

}  // namespace
}  // namespace etcdsync

namespace etcdsync {
namespace {

// The rules we ship in deploy/etcd-sync load, and keep the standby's own plugin record out
// of the sync while other cluster plugins' records are still carried.
TEST(SyncRulesTest, ShippedDeployRulesExcludeOnlyThePluginsOwnModuleInfo) {
  auto rules = LoadSyncRules(std::string(PROJECT_SOURCE_DIR) + "/deploy/etcd-sync/rules.yaml");
  ASSERT_TRUE(rules.ok()) << rules.status();
  KubernetesKeyFilter filter("/registry/", *rules);
  EXPECT_FALSE(filter.Includes("/registry/cluster.alauda.io/moduleinfoes/global-etcd-sync"));
  EXPECT_TRUE(filter.Includes("/registry/cluster.alauda.io/moduleinfoes/global-1a2b3c"));
  EXPECT_FALSE(filter.Includes("/registry/pods/kube-system/p"));  // defaults still apply
  EXPECT_FALSE(rules->sync_bound_pods);
  EXPECT_EQ(rules->contested_after_repairs, 3);
}

}  // namespace
}  // namespace etcdsync

namespace etcdsync {
namespace {

TEST(SyncRulesFileTest, SyncBoundPodsAndContestedAfterRepairs) {
  const std::string dir = ::testing::TempDir();
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  auto defaults = LoadSyncRules(write("r0.yaml", "defaults: true\n"));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_FALSE(defaults->sync_bound_pods);
  EXPECT_EQ(defaults->contested_after_repairs, 3);
  auto set = LoadSyncRules(write("r1.yaml", "syncBoundPods: true\ncontestedAfterRepairs: 5\n"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->sync_bound_pods);
  EXPECT_EQ(set->contested_after_repairs, 5);
  EXPECT_FALSE(set->exclude.namespaces.empty());  // defaults still apply
  auto zero = LoadSyncRules(write("r2.yaml", "contestedAfterRepairs: 0\n"));
  EXPECT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("contestedAfterRepairs"), std::string::npos);
  EXPECT_FALSE(LoadSyncRules(write("r3.yaml", "syncBoundPods: maybe\n")).ok());
}

}  // namespace
}  // namespace etcdsync
