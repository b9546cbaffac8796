// The Kubernetes REST client over HTTPS with mutual TLS (stand-in API server, real etcd),
// configured from kubeconfig files: file paths, base64 data fields, and a wrong CA.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "apiserver/api_server.h"
#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"
#include "support/test_resources.h"

namespace {

using test_resources::kConfigMaps;

class K8sRestTlsTest : public ::testing::Test {
 protected:
  K8sRestTlsTest() : etcd_(dir_.path(), "etcd") {
    testing_support::RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                               certs_ + "'");
    apiserver::ApiServerOptions options;
    options.token = common::Secret("good-token");
    options.certs_dir = certs_;
    options.resources = {{"", "v1", "configmaps", "ConfigMap", true, ""}};
    server_ = std::make_unique<apiserver::ApiServer>(etcd_.client(), std::move(options));
    const absl::Status started = server_->Start();
    EXPECT_TRUE(started.ok()) << started;
  }

  std::string Kubeconfig(const std::string& cluster_tls, const std::string& user) {
    const std::string path = dir_.File("kubeconfig");
    std::ofstream(path) << "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: "
                        << server_->url() << "\n    " << cluster_tls
                        << "\nusers:\n- name: u\n  user:\n    " << user
                        << "\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n";
    return path;
  }

  std::string Base64(const std::string& file) {
    return testing_support::RunScript("openssl base64 -A -in '" + certs_ + "/" + file + "'");
  }

  testing_support::TempDir dir_;
  std::string certs_ = dir_.File("pki");
  testing_support::EtcdMember etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
};

TEST_F(K8sRestTlsTest, ClientCertificateFilesFromKubeconfig) {
  auto config = k8s::LoadKubeconfig(
      Kubeconfig("certificate-authority: pki/ca.crt",
                 "client-certificate: pki/client.crt\n    client-key: " + certs_ + "/client.key"));
  ASSERT_TRUE(config.ok()) << config.status();
  k8s::RestClient client(*config);
  auto created = client.Create(kConfigMaps, "ns", {{"metadata", {{"name", "cm"}}}});
  ASSERT_TRUE(created.ok()) << created.status();
  auto got = client.Get(kConfigMaps, "ns", "cm");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["metadata"]["uid"], (*created)["metadata"]["uid"]);
}

TEST_F(K8sRestTlsTest, DataFieldsAndTokenFromKubeconfig) {
  auto config = k8s::LoadKubeconfig(
      Kubeconfig("certificate-authority-data: " + Base64("ca.crt"),
                 "client-certificate-data: " + Base64("client.crt") +
                     "\n    client-key-data: " + Base64("client.key") + "\n    token: good-token"));
  ASSERT_TRUE(config.ok()) << config.status();
  k8s::RestClient client(*config);
  auto listed = client.List(kConfigMaps, "ns");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ((*listed)["kind"], "ConfigMapList");
}

TEST_F(K8sRestTlsTest, WrongCaIsATlsFailureLine) {
  auto config = k8s::LoadKubeconfig(
      Kubeconfig("certificate-authority: pki/other-ca.crt",
                 "client-certificate: pki/client.crt\n    client-key: pki/client.key"));
  ASSERT_TRUE(config.ok()) << config.status();
  k8s::RestClient client(*config);
  auto listed = client.List(kConfigMaps, "ns");
  ASSERT_FALSE(listed.ok());
  const std::string message(listed.status().message());
  EXPECT_NE(message.find("TLS failure talking to the Kubernetes API server " + server_->url()),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("certificate-authority"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

// tls-server-name: the certificate (127.0.0.1, localhost) is checked against that name, not
// the server URL's host, while the connection still goes to the URL's address.
TEST_F(K8sRestTlsTest, TlsServerNameIsWhatTheCertificateIsCheckedAgainst) {
  const std::string user = "client-certificate: pki/client.crt\n    client-key: pki/client.key";
  auto matching = k8s::LoadKubeconfig(
      Kubeconfig("certificate-authority: pki/ca.crt\n    tls-server-name: localhost", user));
  ASSERT_TRUE(matching.ok()) << matching.status();
  EXPECT_EQ(matching->tls_server_name, "localhost");
  k8s::RestClient good(*matching);
  auto listed = good.List(kConfigMaps, "ns");
  ASSERT_TRUE(listed.ok()) << listed.status();

  auto other = k8s::LoadKubeconfig(Kubeconfig(
      "certificate-authority: pki/ca.crt\n    tls-server-name: kubernetes.invalid", user));
  ASSERT_TRUE(other.ok()) << other.status();
  k8s::RestClient bad(*other);
  auto refused = bad.List(kConfigMaps, "ns");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("TLS failure"), std::string::npos) << refused.status();
}

}  // namespace
