// Real kubectl (written by no one here) against the TEST STAND-IN API server over HTTPS with
// a bearer token: discovery, get/create/replace/delete, client-side apply of a custom
// resource, limit/continue paging and --watch. Works with kubectl 1.20 (Debian 12's
// kubernetes-client) and newer. Skipped with a message when no kubectl is installed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "apiserver/api_server.h"
#include "apiserver/platform_table.h"
#include "common/absl_fmt.h"
#include "integration/kubectl_runner.h"
#include "support/child_process.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace {

using Ran = testing_support::KubectlRun;
using testing_support::RunShell;

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing_support::HaveKubectl()) {
      GTEST_SKIP() << "kubectl not installed (scripts/install-deps.sh installs Debian's "
                      "kubernetes-client)";
    }
    testing_support::RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                               dir_.File("pki") + "'");
    etcd_ = std::make_unique<testing_support::EtcdMember>(dir_.path(), "etcd");
    apiserver::ApiServerOptions options;
    options.token = common::Secret("kubectl-token");
    options.certs_dir = dir_.File("pki");
    options.tls_token_only = true;
    options.resources = apiserver::PlatformResourceTable();
    options.resources.push_back({"example.com", "v1", "widgets", "Widget", true, ""});
    server_ = std::make_unique<apiserver::ApiServer>(etcd_->client(), std::move(options));
    const absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
    kubeconfig_ = dir_.File("kubeconfig");
    std::ofstream(kubeconfig_) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                               << "clusters:\n- name: k\n  cluster:\n    server: " << server_->url()
                               << "\n    certificate-authority: " << dir_.File("pki/ca.crt")
                               << "\nusers:\n- name: u\n  user:\n    token: kubectl-token\n"
                               << "contexts:\n- name: c\n  context: {cluster: k, user: u, "
                                  "namespace: default}\n";
  }

  // kubectl with our kubeconfig and no cache shared with other runs. on
  // writes: the stand-in serves no OpenAPI schema.
  Ran Kubectl(const std::string& arguments) {
    return RunShell("KUBECONFIG='" + kubeconfig_ + "' HOME='" + dir_.path() + "' " +
                    testing_support::KubectlBinary() + " " + arguments);
  }
  Ran CreateConfigMap(const std::string& name) {
    return Kubectl(
        "create -f " +
        Write(name + ".yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n"));
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.File(name);
    std::ofstream(path) << text;
    return path;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<testing_support::EtcdMember> etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::string kubeconfig_;
};

TEST_F(KubectlTest, CreateGetReplaceDeleteConfigMap) {
  const std::string file = Write("cm.yaml",
                                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1}\n"
                                 "data: {a: \"1\"}\n");
  Ran created = Kubectl("create -f " + file);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  Ran got = Kubectl("get cm cm1 -o jsonpath='{.data.a}'");
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_EQ(got.output, "1");
  Ran again = Kubectl("create -f " + file);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("AlreadyExists"), std::string::npos) << again.output;

  Ran json = Kubectl("get configmap cm1 -o json");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  nlohmann::json object = nlohmann::json::parse(json.output);
  object["data"]["a"] = "2";
  Ran replaced = Kubectl("replace -f " + Write("cm.json", object.dump()));
  ASSERT_EQ(replaced.exit_code, 0) << replaced.output;
  EXPECT_EQ(Kubectl("get configmaps -o jsonpath='{.items[0].data.a}'").output, "2");
  Ran stale = Kubectl("replace -f " + dir_.File("cm.json"));
  EXPECT_NE(stale.exit_code, 0);
  EXPECT_NE(stale.output.find("modified"), std::string::npos) << stale.output;

  Ran deleted = Kubectl("delete configmap cm1");
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output;
  Ran gone = Kubectl("get configmap cm1");
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.output.find("NotFound"), std::string::npos) << gone.output;
}

TEST_F(KubectlTest, ApplyCustomResourceCreatesThenMergePatches) {
  const std::string spec = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\n";
  Ran first = Kubectl("apply -f " + Write("w.yaml", spec + "spec: {size: 1}\n"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("created"), std::string::npos) << first.output;
  Ran second = Kubectl("apply -f " + Write("w.yaml", spec + "spec: {size: 2}\n"));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("configured"), std::string::npos) << second.output;
  EXPECT_EQ(Kubectl("get widgets w1 -o jsonpath='{.spec.size}'").output, "2");
  Ran annotation = Kubectl("get widget w1 -o json");
  ASSERT_EQ(annotation.exit_code, 0) << annotation.output;
  EXPECT_TRUE(nlohmann::json::parse(annotation.output)["metadata"]["annotations"].contains(
      "kubectl.kubernetes.io/last-applied-configuration"));
}

// kubectl validates against the stand-in's OpenAPI: a misspelled top-level field is refused
// before anything is sent, a well-formed object with any spec is accepted.
TEST_F(KubectlTest, ValidationRefusesAnUnknownTopLevelField) {
  const std::string head = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\n";
  Ran refused = Kubectl("create -f " + Write("bad.yaml", head + "spce: {size: 1}\n"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("unknown field \"spce\""), std::string::npos) << refused.output;
  EXPECT_NE(Kubectl("get widget w2").output.find("NotFound"), std::string::npos);
  Ran accepted =
      Kubectl("create -f " + Write("good.yaml", head + "spec: {size: 1, nested: {list: [1, a]}}\n"
                                                       "status: {phase: x}\n"));
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  Ran secret = Kubectl("create -f " + Write("secret.yaml",
                                            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                                            "type: Opaque\nstringData: {k: v}\n"));
  EXPECT_EQ(secret.exit_code, 0) << secret.output;
}

TEST_F(KubectlTest, ListsInPagesOfOne) {
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_EQ(CreateConfigMap(name).exit_code, 0);
  }
  Ran listed = Kubectl("get configmaps --chunk-size=1 -o name");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_EQ(listed.output, "configmap/a\nconfigmap/b\nconfigmap/c\n");
  // The raw pages: each names the next with metadata.continue.
  Ran page = Kubectl("get --raw '/api/v1/namespaces/default/configmaps?limit=2'");
  ASSERT_EQ(page.exit_code, 0) << page.output;
  const nlohmann::json first = nlohmann::json::parse(page.output);
  ASSERT_EQ(first["items"].size(), 2u);
  ASSERT_TRUE(first["metadata"].contains("continue"));
}

TEST_F(KubectlTest, WatchSeesChangesAfterTheList) {
  ASSERT_EQ(CreateConfigMap("watched").exit_code, 0);
  testing_support::ChildProcess watch({"/bin/sh", "-c",
                                       "KUBECONFIG='" + kubeconfig_ + "' HOME='" + dir_.path() +
                                           "' exec " + testing_support::KubectlBinary() +
                                           " get configmaps --watch -o name --request-timeout=60s"},
                                      dir_.File("watch.log"));
  ASSERT_TRUE(watch.WaitForLog("configmap/watched", std::chrono::seconds(20))) << watch.Log();
  // The watch starts at the list's resourceVersion, so this delete reaches it however late
  // the watch request is.
  ASSERT_EQ(Kubectl("delete configmap watched").exit_code, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (watch.CountInLog("configmap/watched") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(watch.CountInLog("configmap/watched"), 2) << watch.Log();
  watch.Kill();
}

TEST_F(KubectlTest, RawWatchEventsFromAResourceVersion) {
  Ran listed = Kubectl("get --raw /api/v1/namespaces/default/configmaps");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  const std::string since =
      nlohmann::json::parse(listed.output)["metadata"]["resourceVersion"].get<std::string>();
  ASSERT_EQ(CreateConfigMap("w").exit_code, 0);
  ASSERT_EQ(Kubectl("label configmap w x=y").exit_code, 0);
  ASSERT_EQ(Kubectl("delete configmap w").exit_code, 0);
  Ran events = Kubectl(
      "get --raw '/api/v1/namespaces/default/configmaps?watch=true&"
      "resourceVersion=" +
      since + "&timeoutSeconds=1'");
  ASSERT_EQ(events.exit_code, 0) << events.output;
  std::vector<std::string> types;
  for (size_t start = 0; start < events.output.size();) {
    size_t end = events.output.find('\n', start);
    if (end == std::string::npos) end = events.output.size();
    const nlohmann::json event =
        nlohmann::json::parse(events.output.substr(start, end - start), nullptr, false);
    if (event.is_object()) types.push_back(event.value("type", ""));
    start = end + 1;
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"})) << events.output;
}

TEST_F(KubectlTest, WrongTokenIsRefused) {
  std::string text;
  {
    std::ifstream in(kubeconfig_);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("kubectl-token"), 13, "wrong-token!!");
  std::ofstream(kubeconfig_) << text;
  Ran refused = Kubectl("get configmaps");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("You must be logged in to the server"), std::string::npos)
      << refused.output;
}

}  // namespace
