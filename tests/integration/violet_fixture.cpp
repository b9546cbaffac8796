#include "violet_fixture.h"

#include <cstdlib>

#include "apiserver/platform_table.h"
#include "platform/resources.h"
#include "support/http_get.h"

namespace testing_support {

using nlohmann::json;

namespace {

std::string Quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string MakeSamplePackages(const std::string& dir, const std::string& extra) {
  RunScript("MAKE_SAMPLE_BUNDLE_BIN=" + std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " bash " +
            PROJECT_SOURCE_DIR + "/scripts/make-sample-packages.sh " + Quote(dir) + " " + extra);
  return dir;
}

CommandResult RunViolet(const std::vector<std::string>& args) {
  std::string command = VIOLET_BINARY;
  for (const std::string& arg : args) command += " " + Quote(arg);
  return RunCommand(command + " 2>&1");
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  setenv(name_.c_str(), value.c_str(), 1);
}
ScopedEnv::~ScopedEnv() { unsetenv(name_.c_str()); }

VioletTest::VioletTest()
    : global_etcd_(dir_.path(), "global"),
      workload_etcd_(dir_.path(), "cluster-a"),
      registry_(dir_.path(), "registry"),
      keyring_("VIOLET_KEYRING", dir_.File("packages/violet-sample-key.asc")) {
  apiserver::ApiServerOptions options;
  options.resources = apiserver::PlatformResourceTable();
  options.token = common::Secret(kPlatformToken);
  options.basic_username = kAdminUser;
  options.basic_password = common::Secret(kAdminPassword);
  options.platform_clusters = {{"cluster-a", &workload_etcd_.client()}};
  server_ = std::make_unique<apiserver::ApiServer>(global_etcd_.client(), std::move(options));
  const absl::Status started = server_->Start();
  EXPECT_TRUE(started.ok()) << started;
  packages_ = MakeSamplePackages(dir_.File("packages"));
  // The platform registry: ProductBase base (no Cluster global VIP, no registry-admin Secret).
  CreateObject(platform::kProductBases, "",
               {{"apiVersion", "product.alauda.io/v1alpha2"},
                {"kind", "ProductBase"},
                {"metadata", {{"name", "base"}}},
                {"spec", {{"registry", {{"address", registry_.address()}}}}}});
}

std::vector<std::string> VioletTest::Push(const std::string& path, std::vector<std::string> extra) {
  std::vector<std::string> args = {"push", path, "--platform-address", server_->url(), "--plain"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

k8s::RestClient VioletTest::Cluster(const std::string& cluster) {
  k8s::RestConfig config;
  config.server = server_->url() + "/kubernetes/" + cluster;
  config.token = common::Secret(kPlatformToken);
  config.source = "test";
  return k8s::RestClient(config);
}

absl::StatusOr<json> VioletTest::GetObject(const std::string& cluster, const k8s::ResourceRef& ref,
                                           const std::string& ns, const std::string& name) {
  k8s::RestClient client = Cluster(cluster);
  return client.Get(ref, ns, name);
}

bool VioletTest::RegistryHas(const std::string& registry, const std::string& repository,
                             const std::string& tag) {
  const HttpResponse response = HttpGet(
      "http://" + registry + "/v2/" + repository + "/manifests/" + tag,
      "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
      "application/vnd.docker.distribution.manifest.v2+json, "
      "application/vnd.docker.distribution.manifest.list.v2+json");
  return response.status == 200;
}

void VioletTest::CreateObject(const k8s::ResourceRef& ref, const std::string& ns, json object,
                              const json& status) {
  k8s::RestClient global = Cluster("global");
  auto created = global.Create(ref, ns, object);
  ASSERT_TRUE(created.ok()) << created.status();
  if (!status.is_null()) {
    auto patched =
        global.MergePatch(ref, ns, object["metadata"]["name"], {{"status", status}}, "status");
    ASSERT_TRUE(patched.ok()) << patched.status();
  }
}

}  // namespace testing_support
