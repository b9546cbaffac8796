// The TEST STAND-IN API server's discovery, limit/continue paging and ?watch=true, over a
// real etcd, without kubectl (kubectl_test.cpp runs the real client).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "apiserver/api_server.h"
#include "apiserver/openapi.h"
#include "common/absl_fmt.h"
#include "openapi_v2.pb.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;

class ApiServerTest : public ::testing::Test {
 protected:
  ApiServerTest() : etcd_(dir_.path(), "etcd") {
    apiserver::ApiServerOptions options;
    options.token = common::Secret("t");
    options.resources = {{"", "v1", "configmaps", "ConfigMap", true, ""},
                         {"example.com", "v1", "widgets", "Widget", false, ""}};
    server_ = std::make_unique<apiserver::ApiServer>(etcd_.client(), std::move(options));
    const absl::Status started = server_->Start();
    EXPECT_TRUE(started.ok()) << started;
    client_ = std::make_unique<httplib::Client>(server_->url());
    client_->set_bearer_token_auth("t");
  }
  json Get(const std::string& path, int expected = 200) {
    auto result = client_->Get(path);
    EXPECT_TRUE(result) << path;
    if (!result) return nullptr;
    EXPECT_EQ(result->status, expected) << path << ": " << result->body;
    return json::parse(result->body, nullptr, false);
  }
  void Create(const std::string& name) {
    auto result = client_->Post("/api/v1/namespaces/ns/configmaps",
                                json{{"metadata", {{"name", name}}}}.dump(), "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 201) << result->body;
  }

  testing_support::TempDir dir_;
  testing_support::EtcdMember etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ApiServerTest, DiscoveryListsTheServedResources) {
  EXPECT_EQ(Get("/api")["versions"], json({"v1"}));
  const json core = Get("/api/v1");
  EXPECT_EQ(core["kind"], "APIResourceList");
  ASSERT_FALSE(core["resources"].empty());
  EXPECT_EQ(core["resources"][0]["name"], "configmaps");
  EXPECT_EQ(core["resources"][0]["shortNames"], json({"cm"}));
  EXPECT_EQ(core["resources"][0]["namespaced"], true);
  const json groups = Get("/apis");
  ASSERT_EQ(groups["groups"].size(), 1u);
  EXPECT_EQ(groups["groups"][0]["preferredVersion"]["groupVersion"], "example.com/v1");
  const json widgets = Get("/apis/example.com/v1");
  EXPECT_EQ(widgets["resources"][0]["kind"], "Widget");
  EXPECT_EQ(widgets["resources"][0]["namespaced"], false);
  EXPECT_EQ(Get("/apis/example.com")["kind"], "APIGroup");
  EXPECT_EQ(Get("/apis/other.com/v1", 404)["kind"], "Status");
  EXPECT_EQ(Get("/version")["major"], "1");
}

// kubectl validates against these (kubectl_test.cpp runs it); here their shape: the v3 index
// names each group-version's document, whose PATCH operations carry the GVK and offer no
// fieldValidation, and the v2 protobuf has one definition per kind with its GVK.
TEST_F(ApiServerTest, ServesOpenApiBuiltFromTheResourceTable) {
  const json index = Get("/openapi/v3");
  ASSERT_TRUE(index["paths"].contains("api/v1")) << index.dump();
  const std::string url = index["paths"]["apis/example.com/v1"]["serverRelativeURL"];
  EXPECT_TRUE(url.starts_with("/openapi/v3/apis/example.com/v1?hash=")) << url;
  const json document = Get(url);
  const json& patch = document["paths"]["/apis/example.com/v1/widgets/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"],
            json({{"group", "example.com"}, {"version", "v1"}, {"kind", "Widget"}}));
  for (const json& parameter : patch["parameters"]) EXPECT_NE(parameter["name"], "fieldValidation");
  const json& widget = document["components"]["schemas"]["com.example.v1.Widget"];
  EXPECT_TRUE(widget["properties"]["spec"]["x-kubernetes-preserve-unknown-fields"]);
  EXPECT_TRUE(Get("/openapi/v3/api/v1")["paths"].contains(
      "/api/v1/namespaces/{namespace}/configmaps/{name}"));
  Get("/openapi/v3/apis/other.com/v1", 404);

  auto v2 = client_->Get("/openapi/v2");
  ASSERT_TRUE(v2);
  ASSERT_EQ(v2->status, 200);
  openapi::v2::Document parsed;
  ASSERT_TRUE(parsed.ParseFromString(v2->body));
  ASSERT_EQ(parsed.definitions().additional_properties_size(), 2);
  const openapi::v2::NamedSchema& configmap = parsed.definitions().additional_properties(0);
  EXPECT_EQ(configmap.name(), "io.k8s.api.core.v1.ConfigMap");
  std::vector<std::string> properties;
  for (const auto& property : configmap.value().properties().additional_properties()) {
    properties.push_back(property.name());
  }
  EXPECT_EQ(properties, (std::vector<std::string>{"apiVersion", "kind", "metadata", "data",
                                                  "binaryData", "immutable"}));
  ASSERT_EQ(configmap.value().vendor_extension_size(), 1);
  EXPECT_EQ(configmap.value().vendor_extension(0).name(), "x-kubernetes-group-version-kind");
  EXPECT_EQ(configmap.value().vendor_extension(0).value().yaml(),
            "- group: \"\"\n  kind: \"ConfigMap\"\n  version: \"v1\"\n");

  // Built once, deterministically: the same table gives the same bytes.
  apiserver::OpenApiDocuments again({{"", "v1", "configmaps", "ConfigMap", true, ""},
                                     {"example.com", "v1", "widgets", "Widget", false, ""}});
  EXPECT_EQ(again.Find("/openapi/v2")->body, v2->body);
  EXPECT_EQ(again.Find("/openapi/v3")->body, client_->Get("/openapi/v3")->body);

  httplib::Client anonymous(server_->url());
  EXPECT_EQ(anonymous.Get("/openapi/v2")->status, 401);
}

TEST_F(ApiServerTest, ListsInPagesWithContinue) {
  for (const char* name : {"a", "b", "c"}) Create(name);
  const json first = Get("/api/v1/namespaces/ns/configmaps?limit=2");
  ASSERT_EQ(first["items"].size(), 2u);
  ASSERT_TRUE(first["metadata"].contains("continue"));
  Create("d");  // after the first page: not in this listing (read at its revision)
  const json second =
      Get("/api/v1/namespaces/ns/configmaps?limit=2&continue=" +
          httplib::detail::encode_query_param(first["metadata"]["continue"].get<std::string>()));
  ASSERT_EQ(second["items"].size(), 1u);
  EXPECT_EQ(second["items"][0]["metadata"]["name"], "c");
  EXPECT_FALSE(second["metadata"].contains("continue"));
  EXPECT_EQ(Get("/api/v1/configmaps?limit=10")["items"].size(), 4u);
  EXPECT_EQ(Get("/api/v1/namespaces/ns/configmaps?continue=bm9wZQ==", 400)["reason"], "BadRequest");
}

TEST_F(ApiServerTest, WatchStreamsEventsAfterAResourceVersion) {
  const std::string since =
      Get("/api/v1/namespaces/ns/configmaps")["metadata"]["resourceVersion"].get<std::string>();
  Create("w");
  auto patched =
      client_->Patch("/api/v1/namespaces/ns/configmaps/w", R"({"metadata":{"labels":{"x":"y"}}})",
                     "application/merge-patch+json");
  ASSERT_TRUE(patched && patched->status == 200);
  auto deleted = client_->Delete("/api/v1/namespaces/ns/configmaps/w");
  ASSERT_TRUE(deleted && deleted->status == 200);
  auto result = client_->Get(
      "/api/v1/namespaces/ns/configmaps?watch=true&timeoutSeconds=1&"
      "resourceVersion=" +
      since);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  std::vector<std::string> types;
  std::stringstream lines(result->body);
  for (std::string line; std::getline(lines, line);) {
    const json event = json::parse(line);
    types.push_back(event["type"]);
    EXPECT_EQ(event["object"]["metadata"]["name"], "w");
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}));
  EXPECT_EQ(Get("/api/v1/configmaps?watch=true&fieldSelector=spec.x=1", 400)["reason"],
            "BadRequest");
}

TEST_F(ApiServerTest, StopEndsAnOpenWatch) {
  Create("existing");
  std::atomic<bool> got_event = false;
  std::thread watcher([this, &got_event] {
    httplib::Client client(server_->url());
    client.set_bearer_token_auth("t");
    client.Get("/api/v1/namespaces/ns/configmaps?watch=true", [&](const char*, size_t) {
      got_event = true;
      return true;
    });
  });
  while (!got_event) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  server_->Stop();  // returns although the watch asked for the default 300 s
  watcher.join();
}

}  // namespace
