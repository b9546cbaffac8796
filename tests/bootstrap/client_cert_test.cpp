// The bootstrap's certificate work: which Secrets hold a CA pair, the client certificate it
// signs (checked by openssl itself), and when a certificate on hand counts as current.
#include "bootstrap/client_cert.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bootstrap/bootstrap.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace bootstrap {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ClientCertTest : public ::testing::Test {
 protected:
  // EC keys: a few milliseconds each (gen-test-certs.sh's RSA PKI takes seconds).
  void SetUp() override {
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    testing_support::RunScript(
        "mkdir -p '" + dir_.File("pki") + "' && cd '" + dir_.File("pki") + "' && " +
        "openssl req -x509 " + ec + " -days 3650 -subj /CN=ca -keyout ca.key -out ca.crt && " +
        "openssl req -x509 " + ec + " -days 3650 -subj /CN=other -keyout other-ca.key " +
        "-out other-ca.crt && openssl req " + ec + " -subj /CN=leaf -keyout server.key " +
        "-out server.csr && printf 'basicConstraints=CA:FALSE\\n' > leaf.ext && " +
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 " +
        "-extfile leaf.ext -out server.crt 2>&1");
    now_ = absl::Now() + absl::Seconds(1);
  }
  std::string Pki(const std::string& name) { return ReadFile(dir_.File("pki/" + name)); }
  CaPair Ca() { return {Pki("ca.crt"), common::Secret(Pki("ca.key"))}; }

  testing_support::TempDir dir_;
  absl::Time now_;  // after the CAs were made: they are not valid before that
};

TEST_F(ClientCertTest, ValidatesACaPair) {
  EXPECT_TRUE(ValidateCaPair(Ca(), "etcd-ca").ok());
  // A leaf certificate with its own key is no CA.
  absl::Status leaf =
      ValidateCaPair({Pki("server.crt"), common::Secret(Pki("server.key"))}, "etcd-ca");
  EXPECT_TRUE(absl::IsInvalidArgument(leaf));
  EXPECT_NE(leaf.message().find("not a CA"), std::string::npos) << leaf;
  // Another CA's key.
  absl::Status mismatched =
      ValidateCaPair({Pki("ca.crt"), common::Secret(Pki("other-ca.key"))}, "etcd-ca");
  EXPECT_NE(mismatched.message().find("does not belong"), std::string::npos) << mismatched;
  absl::Status garbage = ValidateCaPair({"not pem", common::Secret("nor this")}, "etcd-ca");
  EXPECT_TRUE(absl::IsInvalidArgument(garbage));
  // Key material never reaches the message.
  EXPECT_EQ(mismatched.message().find("PRIVATE KEY"), std::string::npos);
  absl::Status huge =
      ValidateCaPair({std::string(kMaxPemBytes + 1, 'A'), common::Secret("x")}, "etcd-ca");
  EXPECT_NE(huge.message().find("64 KiB"), std::string::npos) << huge;
}

TEST_F(ClientCertTest, IssuesAClientCertificateOpensslAccepts) {
  auto issued = IssueClientCert(Ca(), "etcd-sync", absl::Now(), absl::Hours(24 * 365));
  ASSERT_TRUE(issued.ok()) << issued.status();
  std::ofstream(dir_.File("client.crt")) << issued->cert_pem;
  const std::string verified = testing_support::RunScript(
      "openssl verify -purpose sslclient -CAfile '" + dir_.File("pki/ca.crt") + "' '" +
      dir_.File("client.crt") + "' 2>&1");
  EXPECT_NE(verified.find(": OK"), std::string::npos) << verified;
  const std::string text =
      testing_support::RunScript("openssl x509 -noout -text -in '" + dir_.File("client.crt") + "'");
  EXPECT_NE(text.find("Subject: CN = etcd-sync"), std::string::npos) << text;
  EXPECT_NE(text.find("TLS Web Client Authentication"), std::string::npos) << text;
  EXPECT_NE(text.find("prime256v1"), std::string::npos) << text;
  EXPECT_NE(text.find("CA:FALSE"), std::string::npos) << text;
  EXPECT_NE(issued->key_pem.Reveal().find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST_F(ClientCertTest, CurrentOnlyWhenSignedByTheCaAndFarFromExpiry) {
  const CaPair ca = Ca();
  auto issued = IssueClientCert(ca, "etcd-sync", now_, absl::Hours(24 * 365));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_TRUE(SignedByAndFresh(issued->cert_pem, ca.cert_pem, now_, absl::Hours(24 * 30)));
  EXPECT_FALSE(SignedByAndFresh(issued->cert_pem, Pki("other-ca.crt"), now_, absl::Hours(1)));
  // Within the renewal window, and past the end.
  EXPECT_TRUE(SignedByAndFresh(issued->cert_pem, ca.cert_pem, now_ + absl::Hours(24 * 330),
                               absl::Hours(24 * 30)));
  EXPECT_FALSE(SignedByAndFresh(issued->cert_pem, ca.cert_pem, now_ + absl::Hours(24 * 340),
                                absl::Hours(24 * 30)));
  EXPECT_FALSE(SignedByAndFresh(issued->cert_pem, ca.cert_pem, now_ + absl::Hours(24 * 366),
                                absl::ZeroDuration()));
  EXPECT_FALSE(SignedByAndFresh("garbage", ca.cert_pem, now_, absl::ZeroDuration()));
}

TEST(NamespacedNameTest, ParsesNameOrNamespaceSlashName) {
  auto plain = ParseNamespacedName("etcd-sync-active-cluster-token", "cpaas-system", "--x");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->ToString(), "cpaas-system/etcd-sync-active-cluster-token");
  auto full = ParseNamespacedName("kube-system/etcd-ca", "cpaas-system", "--x");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->ns, "kube-system");
  EXPECT_EQ(full->name, "etcd-ca");
  for (const char* bad : {"", "/x", "x/", "A/b", "a/b/c", "a b", "ns.x/b"}) {
    auto parsed = ParseNamespacedName(bad, "cpaas-system", "--active-etcd-ca-secret");
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("--active-etcd-ca-secret"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace bootstrap
