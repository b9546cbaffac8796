// The Kubernetes REST client against the stand-in API server over a real etcd: CRUD, label
// lists, conflicts, the server's error messages, auth, and the objects' etcd keys.
#include <gtest/gtest.h>

#include <memory>

#include "apiserver/api_server.h"
#include "common/absl_fmt.h"
#include "k8s/api_error.h"
#include "k8s/rest_client.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"
#include "support/test_resources.h"

namespace {

using nlohmann::json;

using test_resources::kClusterWidgets;
using test_resources::kConfigMaps;
using test_resources::kWidgets;

class K8sRestTest : public ::testing::Test {
 protected:
  K8sRestTest() : etcd_(dir_.path(), "etcd") {
    apiserver::ApiServerOptions options;
    options.token = common::Secret("good-token");
    options.resources = {{"example.com", "v1", "widgets", "Widget", true, ""},
                         {"example.com", "v1", "clusterwidgets", "ClusterWidget", false, ""},
                         {"", "v1", "configmaps", "ConfigMap", true, ""}};
    server_ = std::make_unique<apiserver::ApiServer>(etcd_.client(), std::move(options));
    const absl::Status started = server_->Start();
    EXPECT_TRUE(started.ok()) << started;
    client_ = std::make_unique<k8s::RestClient>(Config("good-token"));
  }

  k8s::RestConfig Config(const std::string& token) {
    k8s::RestConfig config;
    config.server = server_->url();
    config.token = common::Secret(token);
    config.source = "test";
    return config;
  }

  static json Widget(const std::string& name, const std::string& app, int size) {
    return {{"apiVersion", "example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
            {"spec", {{"size", size}}}};
  }

  std::optional<mvccpb::KeyValue> EtcdGet(const std::string& key) {
    etcd::pb::RangeRequest request;
    request.set_key(key);
    auto response = etcd_.client().Range(request);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok() || response->kvs_size() == 0) return std::nullopt;
    return response->kvs(0);
  }

  testing_support::TempDir dir_;
  testing_support::EtcdMember etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<k8s::RestClient> client_;
};

TEST_F(K8sRestTest, CreateGetListPatchUpdateDelete) {
  auto created = client_->Create(kWidgets, "team-a", Widget("w1", "shop", 1));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)["metadata"]["namespace"], "team-a");
  EXPECT_FALSE((*created)["metadata"].value("uid", "").empty());
  EXPECT_FALSE((*created)["metadata"].value("creationTimestamp", "").empty());
  ASSERT_TRUE(client_->Create(kWidgets, "team-a", Widget("w2", "blog", 2)).ok());
  ASSERT_TRUE(client_->Create(kWidgets, "team-b", Widget("w3", "shop", 3)).ok());

  auto got = client_->Get(kWidgets, "team-a", "w1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, *created);

  auto shop_everywhere = client_->List(kWidgets, "", "app=shop");
  ASSERT_TRUE(shop_everywhere.ok()) << shop_everywhere.status();
  EXPECT_EQ((*shop_everywhere)["kind"], "WidgetList");
  EXPECT_EQ((*shop_everywhere)["items"].size(), 2u);
  auto team_a = client_->List(kWidgets, "team-a");
  ASSERT_TRUE(team_a.ok());
  EXPECT_EQ((*team_a)["items"].size(), 2u);
  auto shop_in_a = client_->List(kWidgets, "team-a", "app=shop");
  ASSERT_TRUE(shop_in_a.ok());
  ASSERT_EQ((*shop_in_a)["items"].size(), 1u);
  EXPECT_EQ((*shop_in_a)["items"][0]["metadata"]["name"], "w1");

  auto patched = client_->MergePatch(kWidgets, "team-a", "w1", {{"spec", {{"size", 5}}}});
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["spec"]["size"], 5);
  EXPECT_EQ((*patched)["metadata"]["uid"], (*created)["metadata"]["uid"]);
  EXPECT_EQ((*patched)["metadata"]["generation"], 2);
  EXPECT_NE((*patched)["metadata"]["resourceVersion"], (*created)["metadata"]["resourceVersion"]);

  json changed = *patched;
  changed["spec"]["size"] = 6;
  auto updated = client_->Update(kWidgets, "team-a", changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)["spec"]["size"], 6);

  ASSERT_TRUE(client_->Delete(kWidgets, "team-a", "w1").ok());
  auto gone = client_->Get(kWidgets, "team-a", "w1");
  EXPECT_TRUE(absl::IsNotFound(gone.status())) << gone.status();
}

TEST_F(K8sRestTest, StaleUpdateIsAConflictWithTheServersMessage) {
  auto created = client_->Create(kWidgets, "team-a", Widget("w1", "shop", 1));
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(client_->MergePatch(kWidgets, "team-a", "w1", {{"spec", {{"size", 2}}}}).ok());
  json stale = *created;
  stale["spec"]["size"] = 9;
  auto conflict = client_->Update(kWidgets, "team-a", stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(k8s::IsConflict(conflict.status())) << conflict.status();
  EXPECT_NE(conflict.status().message().find(
                "the server said: Operation cannot be fulfilled on widgets.example.com \"w1\": "
                "the object has been modified"),
            std::string::npos)
      << conflict.status();
  EXPECT_NE(conflict.status().message().find("(409 Conflict)"), std::string::npos);

  auto again = client_->Create(kWidgets, "team-a", Widget("w1", "shop", 1));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_NE(again.status().message().find(
                "the server said: widgets.example.com \"w1\" already exists (409 AlreadyExists)"),
            std::string::npos)
      << again.status();
}

TEST_F(K8sRestTest, NotFoundCarriesTheServersMessage) {
  auto missing = client_->Get(kConfigMaps, "team-a", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_NE(missing.status().message().find(
                "the server said: configmaps \"nope\" not found (404 NotFound)"),
            std::string::npos)
      << missing.status();
  const absl::Status deleted = client_->Delete(kWidgets, "team-a", "nope");
  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  auto patched = client_->MergePatch(kWidgets, "team-a", "nope", {{"spec", {{"a", 1}}}});
  EXPECT_TRUE(absl::IsNotFound(patched.status())) << patched.status();
  auto unknown = client_->List({"example.com", "v1", "gadgets", true}, "team-a");
  EXPECT_TRUE(absl::IsNotFound(unknown.status())) << unknown.status();
}

TEST_F(K8sRestTest, WrongTokenIsOneUnauthorizedLine) {
  k8s::RestClient wrong(Config("bad-token"));
  auto listed = wrong.List(kWidgets, "team-a");
  ASSERT_FALSE(listed.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(listed.status())) << listed.status();
  const std::string message(listed.status().message());
  EXPECT_NE(message.find("the server said: Unauthorized (401 Unauthorized)"), std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_EQ(message.find("bad-token"), std::string::npos);
  k8s::RestClient none(Config(""));
  EXPECT_TRUE(absl::IsUnauthenticated(none.Get(kWidgets, "team-a", "w").status()));
}

TEST_F(K8sRestTest, UnreachableServerIsOneClearLine) {
  k8s::RestConfig config = Config("good-token");
  const std::string url = server_->url();
  server_.reset();
  config.server = url;
  k8s::RestClient client(config, std::chrono::seconds(5));
  auto listed = client.List(kWidgets, "team-a");
  ASSERT_FALSE(listed.ok());
  EXPECT_TRUE(absl::IsUnavailable(listed.status()));
  EXPECT_NE(listed.status().message().find("cannot reach the Kubernetes API server " + url),
            std::string::npos)
      << listed.status();
}

TEST_F(K8sRestTest, ObjectsLiveUnderKubeApiserverKeys) {
  auto widget = client_->Create(kWidgets, "team-a", Widget("w1", "shop", 1));
  ASSERT_TRUE(widget.ok()) << widget.status();
  auto cluster = client_->Create(kClusterWidgets, "", {{"metadata", {{"name", "cw"}}}});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_FALSE((*cluster)["metadata"].contains("namespace"));
  auto config_map = client_->Create(kConfigMaps, "team-a",
                                    {{"metadata", {{"name", "cm"}}}, {"data", {{"k", "v"}}}});
  ASSERT_TRUE(config_map.ok()) << config_map.status();

  auto stored = EtcdGet("/registry/example.com/widgets/team-a/w1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(std::to_string(stored->mod_revision()),
            (*widget)["metadata"]["resourceVersion"].get<std::string>());
  const json value = json::parse(stored->value());
  EXPECT_EQ(value["metadata"]["uid"], (*widget)["metadata"]["uid"]);
  EXPECT_FALSE(value["metadata"].contains("resourceVersion"));
  EXPECT_EQ(value["spec"]["size"], 1);
  EXPECT_TRUE(EtcdGet("/registry/example.com/clusterwidgets/cw").has_value());
  auto cm = EtcdGet("/registry/configmaps/team-a/cm");
  ASSERT_TRUE(cm.has_value());
  EXPECT_EQ(json::parse(cm->value())["data"]["k"], "v");

  ASSERT_TRUE(client_->Delete(kWidgets, "team-a", "w1").ok());
  EXPECT_FALSE(EtcdGet("/registry/example.com/widgets/team-a/w1").has_value());
}

TEST_F(K8sRestTest, StatusSubresource) {
  auto created = client_->Create(kWidgets, "team-a", Widget("w1", "shop", 1));
  ASSERT_TRUE(created.ok()) << created.status();
  json with_status = *created;
  with_status["status"] = {{"phase", "Ready"}};
  auto status = client_->UpdateStatus(kWidgets, "team-a", with_status);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ((*status)["status"]["phase"], "Ready");

  json main = *status;
  main["status"]["phase"] = "Ignored";
  main["spec"]["size"] = 2;
  auto updated = client_->Update(kWidgets, "team-a", main);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)["status"]["phase"], "Ready");
  EXPECT_EQ((*updated)["spec"]["size"], 2);

  auto patched =
      client_->MergePatch(kWidgets, "team-a", "w1",
                          {{"status", {{"phase", "Done"}}}, {"spec", {{"size", 7}}}}, "status");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["status"]["phase"], "Done");
  EXPECT_EQ((*patched)["spec"]["size"], 2);
}

}  // namespace
