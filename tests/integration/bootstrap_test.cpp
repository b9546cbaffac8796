// `etcd-sync bootstrap` against two TEST STAND-IN clusters, each on its own etcd, both over
// HTTPS with a token: the active one serves its API under /kubernetes/global (the platform
// address at its VIP) and holds the etcd CA; the standby gets remote-etcd-ca and the client
// certificate (or cert-manager's Issuer and Certificate). What an operator sees: the exit
// code, the one line naming the token Secret, openssl's verdict, kubectl's read-back.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "apiserver/api_server.h"
#include "bootstrap/client_cert.h"
#include "common/base64.h"
#include "etcd/key_range.h"
#include "integration/kubectl_runner.h"
#include "k8s/rest_client.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;
using testing_support::RunShell;

const k8s::ResourceRef kSecrets{"", "v1", "secrets", true};
const k8s::ResourceRef kIssuers{"cert-manager.io", "v1", "issuers", true};
const k8s::ResourceRef kCertificates{"cert-manager.io", "v1", "certificates", true};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Data(const json& secret, const std::string& key) {
  if (!secret.contains("data") || !secret["data"].contains(key)) return "";
  return common::DecodeBase64(secret["data"][key].get<std::string>()).value_or("");
}

json SecretObject(const std::string& ns, const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& data,
                  const std::string& type = "Opaque") {
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", name}, {"namespace", ns}}},
                 {"type", type},
                 {"data", json::object()}};
  for (const auto& [key, value] : data) secret["data"][key] = common::EncodeBase64(value);
  return secret;
}

class BootstrapTest : public ::testing::Test {
 protected:
  // One PKI and two etcd members for the suite (starting them is most of a test's time);
  // each test starts with both etcds empty and its own pair of API servers.
  static void SetUpTestSuite() {
    suite_dir_ = new testing_support::TempDir();
    testing_support::RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                               suite_dir_->File("pki") + "'");
    active_etcd_ = new testing_support::EtcdMember(suite_dir_->File("a"), "active");
    standby_etcd_ = new testing_support::EtcdMember(suite_dir_->File("s"), "standby");
  }
  static void TearDownTestSuite() {
    delete active_etcd_;
    delete standby_etcd_;
    delete suite_dir_;
  }
  void SetUp() override {
    for (testing_support::EtcdMember* member : {active_etcd_, standby_etcd_}) {
      etcd::pb::DeleteRangeRequest wipe;
      wipe.set_key("/registry/");
      wipe.set_range_end(etcd::PrefixRangeEnd("/registry/"));
      ASSERT_TRUE(member->client().DeleteRange(wipe).ok());
    }
  }
  static std::string Pki(const std::string& name) { return suite_dir_->File("pki/" + name); }

  // Both clusters; the standby serves cert-manager.io/v1 when `cert_manager`.
  void StartClusters(bool cert_manager) {
    apiserver::ApiServerOptions active;
    active.token = common::Secret("active-k8sadmin-token");
    active.certs_dir = suite_dir_->File("pki");
    active.tls_token_only = true;
    active.resources = {{"", "v1", "secrets", "Secret", true, ""}};
    active.platform_clusters = {{"global", &active_etcd_->client()}};
    active_server_ = std::make_unique<apiserver::ApiServer>(active_etcd_->client(), active);
    ASSERT_TRUE(active_server_->Start().ok());

    apiserver::ApiServerOptions standby;
    standby.token = common::Secret("standby-token");
    standby.certs_dir = suite_dir_->File("pki");
    standby.tls_token_only = true;
    standby.resources = {{"", "v1", "secrets", "Secret", true, ""}};
    if (cert_manager) {
      standby.resources.push_back({"cert-manager.io", "v1", "issuers", "Issuer", true, ""});
      standby.resources.push_back(
          {"cert-manager.io", "v1", "certificates", "Certificate", true, ""});
    }
    standby_server_ = std::make_unique<apiserver::ApiServer>(standby_etcd_->client(), standby);
    ASSERT_TRUE(standby_server_->Start().ok());
    kubeconfig_ = dir_.File("standby.kubeconfig");
    std::ofstream(kubeconfig_) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                               << "clusters:\n- name: k\n  cluster:\n    server: "
                               << standby_server_->url()
                               << "\n    certificate-authority: " << Pki("ca.crt")
                               << "\nusers:\n- name: u\n  user:\n    token: standby-token\n"
                               << "contexts:\n- name: c\n  context: {cluster: k, user: u, "
                                  "namespace: cpaas-system}\n";
    active_ = Client(active_server_->url(), "active-k8sadmin-token");
    standby_ = Client(standby_server_->url(), "standby-token");
  }

  std::unique_ptr<k8s::RestClient> Client(const std::string& url, const std::string& token) {
    k8s::RestConfig config;
    config.server = url;
    config.ca_file = Pki("ca.crt");
    config.token = common::Secret(token);
    return std::make_unique<k8s::RestClient>(config);
  }

  // A fresh etcd CA (EC P-256) in <name>.crt/.key; returns {cert, key}.
  std::pair<std::string, std::string> MakeEtcdCa(const std::string& name) {
    testing_support::RunScript("cd '" + dir_.path() +
                               "' && openssl req -x509 -newkey ec -pkeyopt " +
                               "ec_paramgen_curve:P-256 -nodes -days 10 -subj /CN=" + name +
                               " -keyout " + name + ".key -out " + name + ".crt 2>/dev/null");
    return {ReadFile(dir_.File(name + ".crt")), ReadFile(dir_.File(name + ".key"))};
  }

  // The active cluster's kube-system/etcd-ca, created or replaced.
  void PutActiveCa(const std::pair<std::string, std::string>& ca) {
    (void)active_->Delete(kSecrets, "kube-system", "etcd-ca");
    auto created = active_->Create(
        kSecrets, "kube-system",
        SecretObject("kube-system", "etcd-ca", {{"tls.crt", ca.first}, {"tls.key", ca.second}},
                     "kubernetes.io/tls"));
    ASSERT_TRUE(created.ok()) << created.status();
  }

  void PutToken(const std::string& token, bool with_ca = true) {
    (void)standby_->Delete(kSecrets, "cpaas-system", "etcd-sync-active-cluster-token");
    std::vector<std::pair<std::string, std::string>> data = {{"token", token + "\n"}};
    if (with_ca) data.push_back({"ca.crt", ReadFile(Pki("ca.crt"))});
    auto created =
        standby_->Create(kSecrets, "cpaas-system",
                         SecretObject("cpaas-system", "etcd-sync-active-cluster-token", data));
    ASSERT_TRUE(created.ok()) << created.status();
  }

  testing_support::KubectlRun Bootstrap(const std::string& extra = "") {
    return RunShell(
        std::string("'") + ETCD_SYNC_BINARY + "' bootstrap --kubeconfig '" + kubeconfig_ +
        "' --active-global-vip 127.0.0.1:" + std::to_string(active_server_->port()) + " " + extra);
  }

  json StandbySecret(const std::string& name) {
    auto secret = standby_->Get(kSecrets, "cpaas-system", name);
    return secret.ok() ? *secret : json();
  }

  // openssl's verdict on the standby's client certificate against the standby's copy of
  // the CA.
  std::string OpensslVerifyClient() {
    std::ofstream(dir_.File("remote-ca.crt")) << Data(StandbySecret("remote-etcd-ca"), "tls.crt");
    std::ofstream(dir_.File("remote-client.crt"))
        << Data(StandbySecret("remote-etcd-client"), "tls.crt");
    return RunShell("openssl verify -purpose sslclient -CAfile '" + dir_.File("remote-ca.crt") +
                    "' '" + dir_.File("remote-client.crt") + "'")
        .output;
  }

  static inline testing_support::TempDir* suite_dir_ = nullptr;
  static inline testing_support::EtcdMember* active_etcd_ = nullptr;
  static inline testing_support::EtcdMember* standby_etcd_ = nullptr;
  testing_support::TempDir dir_;
  std::unique_ptr<apiserver::ApiServer> active_server_;
  std::unique_ptr<apiserver::ApiServer> standby_server_;
  std::unique_ptr<k8s::RestClient> active_;
  std::unique_ptr<k8s::RestClient> standby_;
  std::string kubeconfig_;
};

TEST_F(BootstrapTest, WithoutCertManagerSignsTheClientCertificateItself) {
  StartClusters(/*cert_manager=*/false);
  const auto ca = MakeEtcdCa("etcd-ca");
  PutActiveCa(ca);
  PutToken("active-k8sadmin-token");

  const auto ran = Bootstrap();
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("no cert-manager"), std::string::npos) << ran.output;
  EXPECT_EQ(ran.output.find("active-k8sadmin-token"), std::string::npos) << "token in the log";
  EXPECT_EQ(ran.output.find("PRIVATE KEY"), std::string::npos) << "key in the log";

  const json remote_ca = StandbySecret("remote-etcd-ca");
  EXPECT_EQ(remote_ca["type"], "kubernetes.io/tls");
  EXPECT_EQ(Data(remote_ca, "tls.crt"), ca.first);
  EXPECT_EQ(Data(remote_ca, "tls.key"), ca.second);
  const json client = StandbySecret("remote-etcd-client");
  EXPECT_EQ(client["type"], "kubernetes.io/tls");
  EXPECT_EQ(Data(client, "ca.crt"), ca.first);
  EXPECT_NE(Data(client, "tls.key").find("PRIVATE KEY"), std::string::npos);
  const std::string verified = OpensslVerifyClient();
  EXPECT_NE(verified.find(": OK"), std::string::npos) << verified;
  EXPECT_FALSE(standby_->Get(kIssuers, "cpaas-system", "remote-etcd-issuer").ok());

  // Real kubectl reads back what the Job wrote.
  if (testing_support::HaveKubectl()) {
    const auto got = RunShell("KUBECONFIG='" + kubeconfig_ + "' HOME='" + dir_.path() +
                              "' kubectl -n cpaas-system get secret remote-etcd-client -o "
                              "jsonpath='{.type}'");
    EXPECT_EQ(got.exit_code, 0) << got.output;
    EXPECT_EQ(got.output, "kubernetes.io/tls");
  }

  // A second run changes nothing: same client certificate, same resourceVersions.
  const auto again = Bootstrap();
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing changed"), std::string::npos) << again.output;
  EXPECT_EQ(StandbySecret("remote-etcd-client")["metadata"]["resourceVersion"],
            client["metadata"]["resourceVersion"]);
  EXPECT_EQ(StandbySecret("remote-etcd-ca")["metadata"]["resourceVersion"],
            remote_ca["metadata"]["resourceVersion"]);
}

TEST_F(BootstrapTest, WithCertManagerCreatesIssuerAndCertificate) {
  StartClusters(/*cert_manager=*/true);
  const auto ca = MakeEtcdCa("etcd-ca");
  PutActiveCa(ca);
  PutToken("active-k8sadmin-token");

  // No cert-manager runs behind the stand-in: the wait for its Secret times out (13), after
  // everything the bootstrap itself writes is in place.
  const auto ran = Bootstrap("--client-wait 1");
  EXPECT_EQ(ran.exit_code, 13) << ran.output;
  EXPECT_NE(ran.output.find("cert-manager did not issue Secret cpaas-system/remote-etcd-client"),
            std::string::npos)
      << ran.output;
  EXPECT_EQ(ran.output.find("no cert-manager"), std::string::npos) << ran.output;
  auto issuer = standby_->Get(kIssuers, "cpaas-system", "remote-etcd-issuer");
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  EXPECT_EQ((*issuer)["spec"]["ca"]["secretName"], "remote-etcd-ca");
  auto certificate = standby_->Get(kCertificates, "cpaas-system", "remote-etcd-client");
  ASSERT_TRUE(certificate.ok()) << certificate.status();
  EXPECT_EQ((*certificate)["spec"]["secretName"], "remote-etcd-client");
  EXPECT_EQ((*certificate)["spec"]["issuerRef"]["name"], "remote-etcd-issuer");
  EXPECT_EQ((*certificate)["spec"]["usages"][0], "client auth");
  EXPECT_EQ(Data(StandbySecret("remote-etcd-ca"), "tls.key"), ca.second);
  // cert-manager (not the bootstrap) writes Secret remote-etcd-client.
  EXPECT_TRUE(StandbySecret("remote-etcd-client").is_null());

  if (testing_support::HaveKubectl()) {
    const auto got = RunShell("KUBECONFIG='" + kubeconfig_ + "' HOME='" + dir_.path() +
                              "' kubectl -n cpaas-system get issuers.cert-manager.io "
                              "remote-etcd-issuer -o jsonpath='{.spec.ca.secretName}'");
    EXPECT_EQ(got.exit_code, 0) << got.output;
    EXPECT_EQ(got.output, "remote-etcd-ca");
  }

  // cert-manager's part, played by the test: the Secret signed by the CA. The bootstrap
  // finds it and is done.
  auto issued = bootstrap::IssueClientCert({ca.first, common::Secret(ca.second)}, "etcd-sync",
                                           absl::Now(), absl::Hours(24));
  ASSERT_TRUE(issued.ok()) << issued.status();
  auto written = standby_->Create(
      kSecrets, "cpaas-system",
      SecretObject("cpaas-system", "remote-etcd-client",
                   {{"tls.crt", issued->cert_pem}, {"tls.key", issued->key_pem.Reveal()}},
                   "kubernetes.io/tls"));
  ASSERT_TRUE(written.ok()) << written.status();
  const auto done = Bootstrap();
  EXPECT_EQ(done.exit_code, 0) << done.output;
  EXPECT_NE(done.output.find("cert-manager issued Secret cpaas-system/remote-etcd-client"),
            std::string::npos)
      << done.output;
  ASSERT_TRUE(standby_->Delete(kSecrets, "cpaas-system", "remote-etcd-client").ok());

  // A client Secret cert-manager issued from an older CA is removed on rotation so that
  // cert-manager issues it again.
  const auto old_ca = MakeEtcdCa("old-ca");
  auto stale = standby_->Create(
      kSecrets, "cpaas-system",
      SecretObject("cpaas-system", "remote-etcd-client",
                   {{"tls.crt", old_ca.first}, {"tls.key", old_ca.second}}, "kubernetes.io/tls"));
  ASSERT_TRUE(stale.ok()) << stale.status();
  const auto again = Bootstrap("--client-wait 0");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(StandbySecret("remote-etcd-client").is_null()) << again.output;
}

TEST_F(BootstrapTest, WrongOrMissingTokenIsOneLineNamingTheSecret) {
  StartClusters(/*cert_manager=*/false);
  PutActiveCa(MakeEtcdCa("etcd-ca"));

  auto missing = Bootstrap();
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_NE(missing.output.find("cpaas-system/etcd-sync-active-cluster-token"), std::string::npos)
      << missing.output;
  EXPECT_NE(missing.output.find("does not exist"), std::string::npos) << missing.output;

  auto keyless = standby_->Create(
      kSecrets, "cpaas-system",
      SecretObject("cpaas-system", "etcd-sync-active-cluster-token", {{"tokn", "x"}}));
  ASSERT_TRUE(keyless.ok()) << keyless.status();
  auto no_key = Bootstrap();
  EXPECT_EQ(no_key.exit_code, 4) << no_key.output;
  EXPECT_NE(no_key.output.find("Secret cpaas-system/etcd-sync-active-cluster-token has no key "
                               "token"),
            std::string::npos)
      << no_key.output;

  PutToken("not-the-active-token");
  auto wrong = Bootstrap();
  EXPECT_EQ(wrong.exit_code, 4) << wrong.output;
  EXPECT_NE(wrong.output.find("refused the token in Secret "
                              "cpaas-system/etcd-sync-active-cluster-token"),
            std::string::npos)
      << wrong.output;
  // One error line (the lines before it are the run's info log).
  size_t error_lines = 0;
  for (size_t at = 0; (at = wrong.output.find("etcd-sync: ", at)) != std::string::npos; ++at) {
    ++error_lines;
  }
  EXPECT_EQ(error_lines, 1u) << wrong.output;
  EXPECT_EQ(wrong.output.find("not-the-active-token"), std::string::npos) << "token printed";
  // Nothing was written.
  EXPECT_TRUE(StandbySecret("remote-etcd-ca").is_null());
  EXPECT_TRUE(StandbySecret("remote-etcd-client").is_null());

  // An unreachable VIP is a cluster that cannot be reached (6), not a credential problem.
  PutToken("active-k8sadmin-token");
  auto unreachable = RunShell(std::string("'") + ETCD_SYNC_BINARY + "' bootstrap --kubeconfig '" +
                              kubeconfig_ + "' --active-global-vip 127.0.0.1:1");
  EXPECT_EQ(unreachable.exit_code, 6) << unreachable.output;
  EXPECT_NE(unreachable.output.find("cannot be reached"), std::string::npos) << unreachable.output;
  // Plain http is refused: the token travels only over https.
  auto plain = RunShell(std::string("'") + ETCD_SYNC_BINARY + "' bootstrap --kubeconfig '" +
                        kubeconfig_ + "' --active-global-vip http://127.0.0.1:1");
  EXPECT_EQ(plain.exit_code, 2) << plain.output;
  EXPECT_NE(plain.output.find("only over https"), std::string::npos) << plain.output;
}

TEST_F(BootstrapTest, CaRotationOnTheActiveSideRefreshesEverything) {
  StartClusters(/*cert_manager=*/false);
  const auto first = MakeEtcdCa("etcd-ca-1");
  PutActiveCa(first);
  PutToken("active-k8sadmin-token");
  ASSERT_EQ(Bootstrap().exit_code, 0);
  const std::string first_client = Data(StandbySecret("remote-etcd-client"), "tls.crt");

  const auto second = MakeEtcdCa("etcd-ca-2");
  PutActiveCa(second);
  const auto ran = Bootstrap();
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("remote-etcd-ca updated"), std::string::npos) << ran.output;
  EXPECT_EQ(Data(StandbySecret("remote-etcd-ca"), "tls.crt"), second.first);
  EXPECT_EQ(Data(StandbySecret("remote-etcd-ca"), "tls.key"), second.second);
  const json client = StandbySecret("remote-etcd-client");
  EXPECT_NE(Data(client, "tls.crt"), first_client);
  EXPECT_EQ(Data(client, "ca.crt"), second.first);
  const std::string verified = OpensslVerifyClient();
  EXPECT_NE(verified.find(": OK"), std::string::npos) << verified;
  // ... and no longer against the old CA.
  std::ofstream(dir_.File("client-now.crt")) << Data(client, "tls.crt");
  const auto old = RunShell("openssl verify -CAfile '" + dir_.File("etcd-ca-1.crt") + "' '" +
                            dir_.File("client-now.crt") + "'");
  EXPECT_NE(old.exit_code, 0) << old.output;

  // A broken CA on the active side (another CA's key) is refused before anything is
  // written: the standby keeps the last consistent set.
  const json ca_before = StandbySecret("remote-etcd-ca");
  const json client_before = StandbySecret("remote-etcd-client");
  const auto third = MakeEtcdCa("etcd-ca-3");
  PutActiveCa({third.first, second.second});
  const auto broken = Bootstrap();
  EXPECT_EQ(broken.exit_code, 2) << broken.output;
  EXPECT_NE(broken.output.find("the key does not belong to the certificate"), std::string::npos)
      << broken.output;
  EXPECT_EQ(StandbySecret("remote-etcd-ca")["metadata"]["resourceVersion"],
            ca_before["metadata"]["resourceVersion"]);
  EXPECT_EQ(StandbySecret("remote-etcd-client")["metadata"]["resourceVersion"],
            client_before["metadata"]["resourceVersion"]);
  PutActiveCa(second);

  // A token rotated on the active side: the new one in the Secret works, the old one is refused.
  PutToken("old-token");
  EXPECT_EQ(Bootstrap().exit_code, 4);
  PutToken("active-k8sadmin-token");
  EXPECT_EQ(Bootstrap().exit_code, 0);
}

TEST_F(BootstrapTest, VerifiesTheActiveAddressWithTheSharedPlatformCertificate) {
  StartClusters(/*cert_manager=*/false);
  PutActiveCa(MakeEtcdCa("etcd-ca"));
  PutToken("active-k8sadmin-token", /*with_ca=*/false);
  // No ca.crt in the token Secret and no platform certificate Secret: the system's CAs do
  // not know the test PKI.
  auto untrusted = Bootstrap();
  EXPECT_EQ(untrusted.exit_code, 6) << untrusted.output;
  EXPECT_TRUE(StandbySecret("remote-etcd-ca").is_null());

  // The certificate both clusters serve (here the stand-in's server.crt) in dex.tls.
  auto platform = standby_->Create(kSecrets, "cpaas-system",
                                   SecretObject("cpaas-system", "dex.tls",
                                                {{"tls.crt", ReadFile(Pki("server.crt"))},
                                                 {"tls.key", ReadFile(Pki("server.key"))}},
                                                "kubernetes.io/tls"));
  ASSERT_TRUE(platform.ok()) << platform.status();
  auto trusted = Bootstrap();
  EXPECT_EQ(trusted.exit_code, 0) << trusted.output;
  EXPECT_NE(trusted.output.find("tls.crt of Secret cpaas-system/dex.tls"), std::string::npos)
      << trusted.output;
}

}  // namespace
