// kubeconfig proxy-url and basic auth: every request goes through the proxy (absolute-form
// request line for http://), with the user's username/password as HTTP Basic.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "k8s/rest_config.h"
#include "support/temp_dir.h"

namespace {

const k8s::ResourceRef kConfigMaps{"", "v1", "configmaps", true};

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

}  // namespace
