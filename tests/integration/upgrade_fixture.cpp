#include "integration/upgrade_fixture.h"

#include <fstream>

#include "apiserver/platform_table.h"
#include "common/base64.h"
#include "platform/resources.h"

namespace upgrade_testing {

using nlohmann::json;

namespace {
constexpr const char* kToken = "upgrade-test-token";
}

UpgradeClusterTest::UpgradeClusterTest()
    : global_etcd_(dir_.path(), "global"), work_etcd_(dir_.path(), "work") {
  apiserver::ApiServerOptions options;
  options.resources = apiserver::PlatformResourceTable();
  options.token = common::Secret(kToken);
  options.platform_clusters = {{"work-1", &work_etcd_.client()}};
  server_ = std::make_unique<apiserver::ApiServer>(global_etcd_.client(), std::move(options));
  const absl::Status started = server_->Start();
  EXPECT_TRUE(started.ok()) << started;
  global_ = std::make_unique<k8s::RestClient>(GlobalConfig());
  work_ = std::make_unique<k8s::RestClient>(WorkConfig());
  kubeconfig_ = dir_.File("kubeconfig");
  std::ofstream(kubeconfig_) << "apiVersion: v1\nkind: Config\n"
                             << "clusters:\n- name: global\n  cluster:\n    server: "
                             << server_->url() << "\n"
                             << "users:\n- name: admin\n  user:\n    token: " << kToken << "\n"
                             << "contexts:\n- name: global\n  context:\n    cluster: global\n"
                             << "    user: admin\ncurrent-context: global\n";
}

k8s::RestConfig UpgradeClusterTest::GlobalConfig() const {
  k8s::RestConfig config;
  config.server = server_->url();
  config.token = common::Secret(kToken);
  config.source = "test global";
  return config;
}

k8s::RestConfig UpgradeClusterTest::WorkConfig() const {
  k8s::RestConfig config = GlobalConfig();
  config.server += "/kubernetes/work-1";
  config.source = "test work-1";
  return config;
}

void UpgradeClusterTest::Put(k8s::RestClient& client, const k8s::ResourceRef& ref,
                             const std::string& ns, json object) {
  const std::string name = object["metadata"]["name"];
  if (ref.namespaced) object["metadata"]["namespace"] = ns;
  const json status = object.value("status", json());
  auto existing = client.Get(ref, ns, name);
  absl::StatusOr<json> written;
  if (existing.ok()) {
    object["metadata"]["resourceVersion"] = (*existing)["metadata"]["resourceVersion"];
    written = client.Update(ref, ns, object);
  } else {
    written = client.Create(ref, ns, object);
  }
  ASSERT_TRUE(written.ok()) << written.status();
  if (!status.is_null()) {
    (*written)["status"] = status;
    auto with_status = client.UpdateStatus(ref, ns, *written);
    ASSERT_TRUE(with_status.ok()) << with_status.status();
  }
}

json UpgradeClusterTest::Get(k8s::RestClient& client, const k8s::ResourceRef& ref,
                             const std::string& ns, const std::string& name) {
  auto object = client.Get(ref, ns, name);
  EXPECT_TRUE(object.ok()) << object.status();
  return object.ok() ? *object : json();
}

void UpgradeClusterTest::SeedNode(UpgradeClusterTest& test, k8s::RestClient& client,
                                  const std::string& node, const std::string& kubelet,
                                  const std::string& runtime) {
  test.Put(
      client, platform::kNodes, "",
      {{"metadata", {{"name", node}, {"labels", {{"node-role.kubernetes.io/control-plane", ""}}}}},
       {"status",
        {{"nodeInfo", {{"kubeletVersion", kubelet}, {"containerRuntimeVersion", runtime}}}}}});
  for (const char* component :
       {"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"}) {
    test.Put(client, platform::kPods, "kube-system",
             {{"metadata", {{"name", std::string(component) + "-" + node}}},
              {"spec", {{"nodeName", node}}}});
  }
}

void UpgradeClusterTest::SeedHealthyGlobal(const std::string& version) {
  Put(global(), platform::kProductBases, "",
      {{"metadata", {{"name", "base"}}}, {"spec", {{"version", version}}}});
  Put(global(), platform::kClusters, "",
      {{"metadata", {{"name", "global"}}},
       {"spec", json::object()},
       {"status", {{"phase", "Running"}, {"version", "v1.32.3"}}}});
  Put(global(), platform::kMachines, "",
      {{"metadata", {{"name", "global-10.0.0.1"}}},
       {"spec", {{"clusterName", "global"}, {"ip", "10.0.0.1"}, {"role", "master"}}},
       {"status", {{"phase", "Running"}}}});
  Put(global(), platform::kModuleInfos, "",
      {{"metadata",
        {{"name", "global-base1"},
         {"labels", {{"cpaas.io/cluster-name", "global"}, {"cpaas.io/module-name", "acp-base"}}}}},
       {"spec", {{"version", version}}},
       {"status", {{"version", version}, {"phase", "Running"}}}});
  Put(global(), platform::kSecrets, platform::kPlatformNamespace,
      {{"metadata", {{"name", "platform-license"}}},
       {"data", {{"notAfter", common::EncodeBase64("2099-12-31T00:00:00Z")}}}});
  SeedNode(*this, global(), "cp-1", "v1.32.3", "containerd://1.7.13");
  Put(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace,
      {{"metadata", {{"name", "global"}}},
       {"spec", json::object()},
       {"status", {{"current", {{"version", version}}}}}});
}

void UpgradeClusterTest::SeedWorkload(const std::string& version, const std::string& kubernetes) {
  Put(global(), platform::kClusters, "",
      {{"metadata", {{"name", "work-1"}}},
       {"spec", json::object()},
       {"status", {{"phase", "Running"}, {"version", kubernetes}}}});
  Put(global(), platform::kClusterVersionShadows, platform::kPlatformNamespace,
      {{"metadata", {{"name", "work-1"}}},
       {"spec", json::object()},
       {"status", {{"current", {{"version", version}}}}}});
  Put(global(), platform::kModuleInfos, "",
      {{"metadata",
        {{"name", "work-1-base1"},
         {"labels", {{"cpaas.io/cluster-name", "work-1"}, {"cpaas.io/module-name", "acp-base"}}}}},
       {"spec", {{"version", version}}},
       {"status", {{"version", version}, {"phase", "Running"}}}});
  SeedNode(*this, work(), "work-cp-1", kubernetes, "containerd://1.7.13");
}

std::string UpgradeClusterTest::WriteRelease(const std::string& version, int images) {
  const std::string path = dir_.File("release-" + version + ".yaml");
  std::ofstream out(path);
  out << "version: " << version << "\nproductImage: acp/component-0:v1\n"
      << "cvoImage: acp/component-1:v1\nimages:\n";
  for (int i = 0; i < images; ++i) out << "  - acp/component-" << i << ":v1\n";
  return path;
}

testing_support::CommandResult UpgradeClusterTest::Run(const std::string& command) const {
  return testing_support::RunCommand("env -u KUBECONFIG HOME='" + dir_.path() + "' " + command);
}

std::string UpgradeClusterTest::UpgradeSh() const {
  return std::string("UPGRADE_CORE_BIN=") + UPGRADE_CORE_BINARY +
         " IMAGE_SYNC_BIN=" + IMAGE_SYNC_BINARY + " bash " + PROJECT_SOURCE_DIR + "/upgrade.sh ";
}

std::string UpgradeClusterTest::Ac() const { return std::string(AC_BINARY) + " "; }

int UpgradeClusterTest::Lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

}  // namespace upgrade_testing
