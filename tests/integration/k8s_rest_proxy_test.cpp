// kubeconfig proxy-url and basic auth: every request goes through the proxy (absolute-form
// request line for http://), with the user's username/password as HTTP Basic. And 429/503
// answers retried over real HTTP (the waits recorded, not slept).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "k8s/rest_config.h"
#include "support/temp_dir.h"
#include "support/test_resources.h"

namespace {

using test_resources::kConfigMaps;

// A forwarding HTTP proxy that answers every request itself and records what it saw.
class RecordingProxy {
 public:
  RecordingProxy() {
    server_.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      targets_.push_back(request.target);
      authorization_ = request.get_header_value("Authorization");
      response.set_content(R"({"kind":"ConfigMap","metadata":{"name":"cm"}})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~RecordingProxy() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> targets() {
    std::lock_guard lock(mutex_);
    return targets_;
  }
  std::string authorization() {
    std::lock_guard lock(mutex_);
    return authorization_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> targets_;
  std::string authorization_;
};

TEST(K8sRestProxyTest, ProxyUrlAndBasicAuthFromKubeconfig) {
  testing_support::TempDir dir;
  RecordingProxy proxy;
  const std::string path = dir.File("kubeconfig");
  // kubernetes.invalid never resolves: only the proxy can answer.
  std::ofstream(path) << "current-context: c\n"
                         "clusters: [{name: k, cluster: {server: 'http://kubernetes.invalid:6443', "
                         "proxy-url: 'http://127.0.0.1:"
                      << proxy.port()
                      << "'}}]\n"
                         "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                         "users: [{name: u, user: {username: admin, password: 'pa:ss'}}]\n";
  auto config = k8s::LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->proxy_url, "http://127.0.0.1:" + std::to_string(proxy.port()));
  k8s::RestClient client(*config);
  auto got = client.Get(kConfigMaps, "ns", "cm");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(proxy.targets().size(), 1u);
  EXPECT_EQ(proxy.targets()[0],
            "http://kubernetes.invalid:6443/api/v1/namespaces/ns/configmaps/cm");
  EXPECT_EQ(proxy.authorization(), "Basic YWRtaW46cGE6c3M=");  // admin:pa:ss
}

TEST(K8sRestProxyTest, ProxyUrlSchemeIsChecked) {
  testing_support::TempDir dir;
  const std::string path = dir.File("kubeconfig");
  std::ofstream(path) << "current-context: c\n"
                         "clusters: [{name: k, cluster: {server: 'https://k:6443', proxy-url: "
                         "'ftp://p:21'}}]\n"
                         "contexts: [{name: c, context: {cluster: k}}]\n";
  auto config = k8s::LoadKubeconfig(path);
  ASSERT_TRUE(absl::IsInvalidArgument(config.status())) << config.status();
  EXPECT_NE(config.status().message().find("http://, https:// or socks5://"), std::string::npos);
}

TEST(K8sRestRetryTest, BusyAnswersAreRetriedWithTheServersWait) {
  httplib::Server server;
  std::atomic<int> gets = 0, posts = 0;
  server.Get(".*", [&](const httplib::Request&, httplib::Response& response) {
    const int n = ++gets;
    if (n == 1) {
      response.status = 429;
      response.set_header("Retry-After", "2");
    } else if (n == 2) {
      response.status = 503;
    } else {
      response.set_content(R"({"kind":"ConfigMap"})", "application/json");
    }
  });
  server.Post(".*", [&](const httplib::Request&, httplib::Response& response) {
    ++posts;
    response.status = 503;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  std::vector<std::chrono::milliseconds> waits;
  k8s::RetryPolicy retry;
  retry.base_delay = std::chrono::milliseconds(100);
  retry.random = [] { return 0.0; };
  retry.sleep = [&](std::chrono::milliseconds wait) { waits.push_back(wait); };
  k8s::RestConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  config.source = "test";
  k8s::RestClient client(config, std::chrono::seconds(10), k8s::kDefaultMaxResponseBytes, retry);
  auto got = client.Get(kConfigMaps, "ns", "cm");
  EXPECT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(gets, 3);
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(2000),
                                                           std::chrono::milliseconds(100)}));
  // A create is not idempotent: its 503 is returned, not repeated.
  auto created = client.Create(kConfigMaps, "ns", {{"metadata", {{"name", "cm"}}}});
  EXPECT_FALSE(created.ok());
  EXPECT_EQ(posts, 1);
  server.stop();
  thread.join();
}

}  // namespace
