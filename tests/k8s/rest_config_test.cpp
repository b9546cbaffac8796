// Kubeconfig and in-cluster config parsing: data fields (base64), file paths relative to
// the kubeconfig, tokens, and one clear error per mistake.
#include "k8s/rest_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/absl_fmt.h"
#include "support/temp_dir.h"

namespace {

std::string Write(const testing_support::TempDir& dir, const std::string& name,
                  const std::string& text) {
  std::ofstream(dir.File(name)) << text;
  return dir.File(name);
}

constexpr const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: admin@global
clusters:
- name: global
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: Q0EtUEVN
- name: other
  cluster:
    server: https://[fd00::1]:6443
    certificate-authority: pki/ca.crt
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: Q0VSVC1QRU0=
    client-key-data: S0VZLVBFTQ==
- name: robot
  user:
    token: abc.def
- name: files
  user:
    client-certificate: /abs/client.crt
    client-key: pki/client.key
    tokenFile: token.txt
contexts:
- name: admin@global
  context: {cluster: global, user: admin}
- name: robot@other
  context: {cluster: other, user: robot}
- name: files@other
  context: {cluster: other, user: files}
)";

TEST(RestConfig, CurrentContextWithDataFields) {
  testing_support::TempDir dir;
  auto config = k8s::LoadKubeconfig(Write(dir, "config", kTwoContexts));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443/");
  EXPECT_EQ(config->ca_pem, "CA-PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(config->client_key_pem.Reveal(), "KEY-PEM");
  EXPECT_TRUE(config->token.empty());
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

TEST(RestConfig, ParsesTheSameFromTextAndRefusesAnOversizedText) {
  auto config = k8s::ParseKubeconfig(kTwoContexts, "/nonexistent/config");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443/");
  EXPECT_EQ(config->client_key_pem.Reveal(), "KEY-PEM");
  auto huge = k8s::ParseKubeconfig(std::string(17 << 20, '#'), "/nonexistent/config");
  EXPECT_TRUE(absl::IsInvalidArgument(huge.status())) << huge.status();
}

TEST(RestConfig, ExplicitContextWithTokenAndRelativeFiles) {
  testing_support::TempDir dir;
  const std::string path = Write(dir, "config", kTwoContexts);
  auto robot = k8s::LoadKubeconfig(path, "robot@other");
  ASSERT_TRUE(robot.ok()) << robot.status();
  EXPECT_EQ(robot->server, "https://[fd00::1]:6443");
  EXPECT_EQ(robot->ca_file, dir.File("pki/ca.crt"));
  EXPECT_TRUE(robot->insecure_skip_tls_verify);
  EXPECT_EQ(robot->token.Reveal(), "abc.def");

  Write(dir, "token.txt", "from-file\n");
  auto files = k8s::LoadKubeconfig(path, "files@other");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->client_cert_file, "/abs/client.crt");
  EXPECT_EQ(files->client_key_file, dir.File("pki/client.key"));
  EXPECT_EQ(files->token.Reveal(), "from-file");
}

TEST(RestConfig, MissingCurrentContextIsOneClearLine) {
  testing_support::TempDir dir;
  const std::string path = Write(dir, "config", "apiVersion: v1\nclusters: []\ncontexts: []\n");
  auto config = k8s::LoadKubeconfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(config.status()));
  const std::string message(config.status().message());
  EXPECT_NE(message.find("no current-context"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(RestConfig, NamedMistakes) {
  testing_support::TempDir dir;
  const std::string path = Write(dir, "config", kTwoContexts);
  auto unknown = k8s::LoadKubeconfig(path, "nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("context \"nope\" not found"), std::string::npos)
      << unknown.status();

  const std::string bad = Write(dir, "bad", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://x", certificate-authority-data: "@@@"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  auto base64 = k8s::LoadKubeconfig(bad);
  ASSERT_FALSE(base64.ok());
  EXPECT_NE(base64.status().message().find("certificate-authority-data is not valid base64"),
            std::string::npos)
      << base64.status();

  const std::string exec = Write(dir, "exec", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://x"}}]
users: [{name: u, user: {exec: {command: aws}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)");
  auto unsupported = k8s::LoadKubeconfig(exec);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.status().message().find("client.authentication.k8s.io/v1 or /v1beta1"),
            std::string::npos)
      << unsupported.status();

  auto missing = k8s::LoadKubeconfig(dir.File("absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read"), std::string::npos);

  auto not_yaml = k8s::LoadKubeconfig(Write(dir, "notyaml", "a: [b\n"));
  ASSERT_FALSE(not_yaml.ok());
  EXPECT_NE(not_yaml.status().message().find("is not YAML"), std::string::npos);
}

// A kubeconfig nested absurdly deep, too large, or no regular file: refused at once with one
// line naming it, never quoting it, never blocking or crashing.
TEST(RestConfig, HostileKubeconfigsAreRefusedWithOneLine) {
  struct Case {
    std::string name, expected;
  };
  testing_support::TempDir dir;
  std::string block;  // "a:\n a:\n  a:..." 200 levels
  for (int level = 0; level < 200; ++level) block += std::string(level, ' ') + "a:\n";
  Write(dir, "deep-block", block);
  Write(dir, "deep-flow", "clusters: " + std::string(100000, '[') + std::string(100000, ']'));
  Write(dir, "large", "x: " + std::string(17 << 20, 'a') + "\n");
  ASSERT_EQ(mkfifo(dir.File("fifo").c_str(), 0600), 0);
  std::filesystem::create_directory(dir.File("directory"));
  const std::vector<Case> cases = {
      {"deep-block", "nests deeper than 64 levels"},
      {"deep-flow", "nests deeper than 64 levels"},
      {"large", "more than the 16777216"},
      {"fifo", "is a FIFO, not a regular file"},
      {"directory", "is a directory, not a regular file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto config = k8s::LoadKubeconfig(dir.File(c.name));
    ASSERT_FALSE(config.ok());
    const std::string message(config.status().message());
    EXPECT_NE(message.find(c.expected), std::string::npos) << message.substr(0, 300);
    EXPECT_NE(message.find(dir.File(c.name)), std::string::npos) << message.substr(0, 300);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message.substr(0, 300);
    EXPECT_LT(message.size(), 400u) << message.substr(0, 300);
  }
}

TEST(RestConfig, InCluster) {
  testing_support::TempDir dir;
  Write(dir, "token", "sa-token\n");
  Write(dir, "ca.crt", "PEM");
  unsetenv("KUBERNETES_SERVICE_HOST");
  auto outside = k8s::LoadInClusterConfig(dir.path());
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("KUBERNETES_SERVICE_HOST"), std::string::npos);

  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = k8s::LoadInClusterConfig(dir.path());
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token.Reveal(), "sa-token");
  EXPECT_EQ(config->ca_file, dir.File("ca.crt"));
  EXPECT_EQ(fmt::format("{}", config->token), "***");
}

}  // namespace

// KUBECONFIG=a:b as kubectl merges it: the first file that names a cluster/user/context wins,
// current-context comes from the first file that sets one, missing files and empty entries
// are skipped, and relative paths stay relative to the file that defined the entry.
TEST(RestConfig, KubeconfigListMergesAsKubectlDoes) {
  testing_support::TempDir dir;
  std::filesystem::create_directory(dir.File("second"));
  const std::string first = Write(dir, "first", R"(apiVersion: v1
kind: Config
clusters:
- name: global
  cluster: {server: "https://first:6443"}
users:
- name: admin
  user: {token: first-token}
contexts:
- name: admin@global
  context: {cluster: global, user: admin}
)");
  const std::string second = Write(dir, "second/config", R"(apiVersion: v1
kind: Config
current-context: files@other
clusters:
- name: global
  cluster: {server: "https://second:6443"}
- name: other
  cluster: {server: "https://other:6443", certificate-authority: ca.crt}
users:
- name: admin
  user: {token: second-token}
- name: files
  user: {client-key: client.key, token: t}
contexts:
- name: files@other
  context: {cluster: other, user: files}
- name: admin@global
  context: {cluster: other, user: files}
)");
  const std::string third = Write(dir, "third", "current-context: admin@global\n");
  const std::string list =
      "::" + dir.File("missing") + ":" + first + "::" + second + ":" + third + ":";
  auto current = k8s::LoadKubeconfigList(list);
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->server, "https://other:6443");
  EXPECT_EQ(current->ca_file, dir.File("second/ca.crt"));
  EXPECT_EQ(current->client_key_file, dir.File("second/client.key"));

  auto admin = k8s::LoadKubeconfigList(list, "admin@global");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->server, "https://first:6443");
  EXPECT_EQ(admin->token.Reveal(), "first-token");

  auto none = k8s::LoadKubeconfigList(dir.File("missing") + ":" + dir.File("gone"));
  ASSERT_TRUE(absl::IsNotFound(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("none of these files exists"), std::string::npos);

  // One file given alone (the --kubeconfig flag) must exist.
  EXPECT_TRUE(absl::IsNotFound(k8s::LoadKubeconfig(dir.File("missing")).status()));
  EXPECT_EQ(k8s::SplitKubeconfigList("a::b:a:"), (std::vector<std::string>{"a", "b"}));
}

TEST(RestConfig, KubeconfigListIsBoundedInTotal) {
  testing_support::TempDir dir;
  const std::string big = "x: " + std::string(9 << 20, 'a') + "\n";
  const std::string list = Write(dir, "a", big) + ":" + Write(dir, "b", big);
  auto config = k8s::LoadKubeconfigList(list);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("larger than"), std::string::npos) << config.status();
  std::string many;
  for (int i = 0; i < 65; ++i) many += dir.File("f" + std::to_string(i)) + ":";
  EXPECT_TRUE(absl::IsInvalidArgument(k8s::LoadKubeconfigList(many).status()));
}
