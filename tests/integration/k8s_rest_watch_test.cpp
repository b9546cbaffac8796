// RestClient::Watch against the stand-in API server over a real etcd: list-then-watch from a
// resourceVersion, the initial ADDED events, a field selector, the callback stopping it, the
// server ending it, an overlong event refused; 410 and "watch not served" from a canned server.
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/api_server.h"
#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"
#include "support/test_resources.h"

namespace {

using nlohmann::json;

using test_resources::kWidgets;

class K8sRestWatchTest : public ::testing::Test {
 protected:
  K8sRestWatchTest() : etcd_(dir_.path(), "etcd") {
    apiserver::ApiServerOptions options;
    options.token = common::Secret("good-token");
    options.resources = {{"example.com", "v1", "widgets", "Widget", true, ""}};
    server_ = std::make_unique<apiserver::ApiServer>(etcd_.client(), std::move(options));
    const absl::Status started = server_->Start();
    EXPECT_TRUE(started.ok()) << started;
    client_ = std::make_unique<k8s::RestClient>(Config());
  }
  ~K8sRestWatchTest() override { server_->Stop(); }

  k8s::RestConfig Config() {
    k8s::RestConfig config;
    config.server = server_->url();
    config.token = common::Secret("good-token");
    config.source = "test";
    return config;
  }

  static json Widget(const std::string& name, int size) {
    return {{"apiVersion", "example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", name}}},
            {"spec", {{"size", size}}}};
  }
  std::string Create(const std::string& name, int size) {
    auto created = client_->Create(kWidgets, "team-a", Widget(name, size));
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? (*created)["metadata"]["resourceVersion"].get<std::string>() : "";
  }
  void Resize(const std::string& name, int size) {
    auto patched = client_->MergePatch(kWidgets, "team-a", name, {{"spec", {{"size", size}}}});
    EXPECT_TRUE(patched.ok()) << patched.status();
  }
  static auto Deadline(int seconds = 30) {
    return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  }

  testing_support::TempDir dir_;
  testing_support::EtcdMember etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<k8s::RestClient> client_;
};

std::string Describe(const k8s::WatchEvent& event) {
  const char* type = event.type == k8s::WatchEventType::kAdded      ? "ADDED"
                     : event.type == k8s::WatchEventType::kModified ? "MODIFIED"
                     : event.type == k8s::WatchEventType::kDeleted  ? "DELETED"
                                                                    : "BOOKMARK";
  return std::string(type) + " " + event.object["metadata"].value("name", "") + " " +
         std::to_string(event.object["spec"].value("size", 0));
}

TEST_F(K8sRestWatchTest, FromAResourceVersionSeesLaterChangesUntilTheCallbackStops) {
  const std::string since = Create("a", 1);
  Create("b", 2);
  Resize("a", 3);
  std::vector<std::string> seen;
  k8s::WatchOptions options;
  options.resource_version = since;
  auto end = client_->Watch(
      kWidgets, "team-a", options,
      [&](const k8s::WatchEvent& event) {
        seen.push_back(Describe(event));
        return seen.size() < 2;
      },
      Deadline());
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_TRUE(end->stopped);
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED b 2", "MODIFIED a 3"}));
  EXPECT_GT(std::stoll(end->resource_version), std::stoll(since));
}

TEST_F(K8sRestWatchTest, WithoutAResourceVersionTheCurrentObjectsComeFirstAndTheSelectorFilters) {
  Create("a", 1);
  Create("b", 2);
  std::vector<std::string> seen;
  k8s::WatchOptions options;
  options.field_selector = "metadata.name=b";
  auto end = client_->Watch(
      kWidgets, "team-a", options,
      [&](const k8s::WatchEvent& event) {
        seen.push_back(Describe(event));
        return false;
      },
      Deadline());
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED b 2"}));
}

TEST_F(K8sRestWatchTest, TheServerEndsTheStreamAtItsTimeout) {
  const std::string since = Create("a", 1);
  k8s::WatchOptions options;
  options.resource_version = since;
  options.server_timeout = std::chrono::seconds(1);
  int events = 0;
  auto end = client_->Watch(
      kWidgets, "team-a", options,
      [&](const k8s::WatchEvent&) {
        ++events;
        return true;
      },
      Deadline());
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_FALSE(end->stopped);
  EXPECT_EQ(events, 0);
  EXPECT_EQ(end->resource_version, since);
}

// A server answering the watch with `status` and `body` (the stand-in does not send 410).
class CannedWatchServer {
 public:
  CannedWatchServer(int status, std::string body) {
    server_.Get(".*", [status, body](const httplib::Request&, httplib::Response& response) {
      response.status = status;
      response.set_chunked_content_provider("application/json;stream=watch",
                                            [body](size_t, httplib::DataSink& sink) {
                                              // Byte by byte: events cross every chunk boundary
                                              // libcurl could see.
                                              for (char c : body) {
                                                if (!sink.write(&c, 1)) return false;
                                              }
                                              sink.done();
                                              return true;
                                            });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (port_ > 0 && !server_.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~CannedWatchServer() {
    server_.stop();
    thread_.join();
  }
  k8s::RestConfig Config() const {
    k8s::RestConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(port_);
    config.source = "canned";
    return config;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

const json kGone = {{"kind", "Status"},
                    {"status", "Failure"},
                    {"message", "too old resource version: 5 (9)"},
                    {"reason", "Expired"},
                    {"code", 410}};

TEST(K8sRestWatchCannedTest, Http410AndAnError410EventAreExpired) {
  for (const auto& [status, body] :
       {std::pair<int, std::string>{410, kGone.dump()},
        std::pair<int, std::string>{
            200, json{{"type", "ADDED"}, {"object", {{"metadata", {{"name", "a"}}}}}}.dump() +
                     "\n" + json{{"type", "ERROR"}, {"object", kGone}}.dump() + "\n"}}) {
    CannedWatchServer server(status, body);
    k8s::RestClient client(server.Config());
    int events = 0;
    auto end = client.Watch(
        kWidgets, "team-a", {},
        [&](const k8s::WatchEvent&) {
          ++events;
          return true;
        },
        std::chrono::steady_clock::now() + std::chrono::seconds(30));
    EXPECT_TRUE(k8s::IsResourceExpired(end.status())) << status << ": " << end.status();
    EXPECT_NE(end.status().message().find("too old resource version: 5 (9)"), std::string::npos)
        << end.status();
    EXPECT_EQ(events, status == 200 ? 1 : 0);
  }
}

TEST(K8sRestWatchCannedTest, WatchNotServedIsUnsupported) {
  for (int status : {400, 404, 405}) {
    CannedWatchServer server(
        status, json{{"kind", "Status"}, {"message", "no watch"}, {"code", status}}.dump());
    k8s::RestClient client(server.Config());
    auto end = client.Watch(
        kWidgets, "team-a", {}, [](const k8s::WatchEvent&) { return true; },
        std::chrono::steady_clock::now() + std::chrono::seconds(30));
    EXPECT_TRUE(k8s::IsWatchUnsupported(end.status())) << status << ": " << end.status();
    EXPECT_NE(end.status().message().find("does not serve watch here"), std::string::npos);
  }
}

TEST_F(K8sRestWatchTest, AnEventLongerThanTheClientsLimitIsRefused) {
  const std::string since = Create("a", 1);
  json big = Widget("big", 1);
  big["spec"]["blob"] = std::string(4096, 'x');
  ASSERT_TRUE(client_->Create(kWidgets, "team-a", big).ok());
  k8s::RestClient small(Config(), std::chrono::seconds(30), 2048);
  k8s::WatchOptions options;
  options.resource_version = since;
  int events = 0;
  auto end = small.Watch(
      kWidgets, "team-a", options,
      [&](const k8s::WatchEvent&) {
        ++events;
        return true;
      },
      Deadline());
  EXPECT_TRUE(absl::IsResourceExhausted(end.status())) << end.status();
  EXPECT_NE(end.status().message().find("an event is more than 2048 bytes; refusing it"),
            std::string::npos)
      << end.status();
  EXPECT_EQ(events, 0);
}

TEST_F(K8sRestWatchTest, ARefusedTokenIsTheApiError) {
  k8s::RestConfig config = Config();
  config.token = common::Secret("bad-token");
  k8s::RestClient refused(config);
  auto end = refused.Watch(
      kWidgets, "team-a", {}, [](const k8s::WatchEvent&) { return true; }, Deadline());
  EXPECT_TRUE(absl::IsUnauthenticated(end.status())) << end.status();
  EXPECT_EQ(std::string(end.status().message()).find("bad-token"), std::string::npos);
}

}  // namespace
