// image-sync against a real registry that uses the Docker token flow (docker-registry with
// `auth.token`), with a test token service: the push works, cross-repository mounts get the
// two-repository scope they need, skopeo reads back the same digests, and a wrong password
// or none at all is one line that leaks nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "bundle/digest.h"
#include "bundle/oci_layout.h"
#include "support/etcd_member.h"
#include "support/registry_server.h"
#include "support/registry_token_server.h"
#include "support/temp_dir.h"

namespace {

using testing_support::CommandResult;
using testing_support::RegistryServer;
using testing_support::RegistryTokenServer;
using testing_support::RunCommand;

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class ImageSyncTokenTest : public ::testing::Test {
 protected:
  ImageSyncTokenTest()
      : tokens_(dir_.path(), "carol", "s3cret pass"),
        registry_(dir_.path(), "token", "", "", tokens_.realm(), tokens_.cert_file()) {
    testing_support::RunScript(std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " '" + bundle_ +
                               "' --images 6");
    std::ofstream(dir_.File("good")) << "s3cret pass";
    std::ofstream(dir_.File("bad")) << "not-the-password";
  }

  CommandResult ImageSync(const std::string& args) {
    return RunCommand(std::string(IMAGE_SYNC_BINARY) + " --progress none --plain --bundle '" +
                      bundle_ + "' --registry " + registry_.address() + " " + args);
  }

  testing_support::TempDir dir_;
  std::string bundle_ = dir_.File("bundle");
  RegistryTokenServer tokens_;
  RegistryServer registry_;
};

TEST_F(ImageSyncTokenTest, PushesWithTokensMountsAcrossRepositoriesAndReadsBackExactly) {
  CommandResult pushed = ImageSync("--username carol --password-stdin < " + dir_.File("good"));
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_GT(tokens_.tokens_issued(), 0);
  EXPECT_EQ(pushed.output.find("s3cret"), std::string::npos) << pushed.output;
  EXPECT_EQ(pushed.output.find("eyJ"), std::string::npos) << "a token reached the output";

  // The sample bundle shares layers between repositories: they must be mounted, and a mount
  // needs a token naming both repositories.
  EXPECT_EQ(pushed.output.find(" 0 mounted"), std::string::npos) << pushed.output;
  const std::vector<std::string> scopes = tokens_.scopes();
  const bool pull_only_scope = std::any_of(
      scopes.begin(), scopes.end(), [](const auto& scope) { return scope.ends_with(":pull"); });
  EXPECT_TRUE(pull_only_scope) << "no token asked for the mount source's pull scope";

  const bundle::OciLayout layout = bundle::OciLayout::Open(bundle_).value();
  for (const auto& image : layout.images()) {
    CommandResult raw = RunCommand(
        "skopeo inspect --raw --tls-verify=false --creds 'carol:s3cret "
        "pass' docker://" +
        registry_.address() + "/" + image.name.ToString());
    ASSERT_EQ(raw.exit_code, 0) << raw.output;
    EXPECT_EQ(bundle::Sha256Digest(raw.output), image.root.descriptor.digest)
        << image.name.ToString();
  }

  // Nothing left to do: every image is found by digest, no blob is touched.
  CommandResult again = ImageSync("--username carol --password-stdin < " + dir_.File("good"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 pushed"), std::string::npos) << again.output;
}

TEST_F(ImageSyncTokenTest, WrongOrMissingCredentialsAreOneLineAndLeakNothing) {
  CommandResult wrong = ImageSync("--username carol --password-stdin < " + dir_.File("bad"));
  EXPECT_EQ(wrong.exit_code, 4) << wrong.output;
  EXPECT_EQ(Lines(wrong.output), 1) << wrong.output;
  EXPECT_NE(wrong.output.find("rejected the credentials of user \"carol\""), std::string::npos)
      << wrong.output;
  EXPECT_EQ(wrong.output.find("not-the-password"), std::string::npos);
  EXPECT_GT(tokens_.refusals(), 0);

  CommandResult anonymous = ImageSync("");
  EXPECT_EQ(anonymous.exit_code, 4) << anonymous.output;
  EXPECT_EQ(Lines(anonymous.output), 1) << anonymous.output;
  EXPECT_NE(anonymous.output.find("requires authentication"), std::string::npos)
      << anonymous.output;
}

// `docker login` against a registry whose token service hands out refresh tokens keeps an
// "identitytoken" in ~/.docker/config.json: image-sync trades it at the realm (POST
// grant_type=refresh_token, as docker does) and pushes; a stale one is one line.
TEST_F(ImageSyncTokenTest, IdentityTokenFromDockerConfigIsTradedAtTheRealm) {
  tokens_.AcceptRefreshToken("refresh-7f3a");
  const std::string home = dir_.File("home");
  std::filesystem::create_directories(home + "/.docker");
  const auto login = [&](const std::string& token) {
    std::ofstream(home + "/.docker/config.json")
        << R"({"auths":{")" << registry_.address() << R"(":{"auth":"","identitytoken":")" << token
        << R"("}}})";
  };
  const std::string env = "env -u REGISTRY_AUTH_FILE -u XDG_CONFIG_HOME -u DOCKER_CONFIG HOME='" +
                          home + "' XDG_RUNTIME_DIR='" + dir_.File("run") + "' ";
  login("refresh-7f3a");
  CommandResult pushed =
      RunCommand(env + IMAGE_SYNC_BINARY + " --progress none --plain --bundle '" + bundle_ +
                 "' --registry " + registry_.address());
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_GT(tokens_.refresh_grants(), 0);
  EXPECT_NE(pushed.output.find("using the credentials of an identity token"), std::string::npos)
      << pushed.output;
  EXPECT_EQ(pushed.output.find("refresh-7f3a"), std::string::npos) << pushed.output;

  login("stale-token");
  CommandResult stale = RunCommand(env + IMAGE_SYNC_BINARY + " --progress none --plain --bundle '" +
                                   bundle_ + "' --registry " + registry_.address());
  EXPECT_EQ(stale.exit_code, 4) << stale.output;
  EXPECT_NE(stale.output.find("rejected the identity token"), std::string::npos) << stale.output;
  EXPECT_EQ(stale.output.find("stale-token"), std::string::npos) << stale.output;
}

TEST_F(ImageSyncTokenTest, HttpsRegistryNeverSendsCredentialsToAnHttpRealm) {
  // A TLS registry whose challenge names a plain-HTTP token service: the credentials would
  // cross the network in clear. They are not sent; the run stops with one line.
  const std::string certs = dir_.File("certs");
  testing_support::RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                             certs + "'");
  RegistryServer secure(dir_.path(), "secure-token", certs, "", tokens_.realm(),
                        tokens_.cert_file());
  CommandResult refused =
      RunCommand(std::string(IMAGE_SYNC_BINARY) + " --progress none --bundle '" + bundle_ +
                 "' --registry " + secure.address() + " --ca-file " + certs +
                 "/ca.crt --username carol --password-stdin < " + dir_.File("good"));
  EXPECT_EQ(refused.exit_code, 4) << refused.output;
  EXPECT_EQ(Lines(refused.output), 1) << refused.output;
  EXPECT_NE(refused.output.find("is plain HTTP while the registry is HTTPS"), std::string::npos)
      << refused.output;
  EXPECT_EQ(tokens_.tokens_issued() + tokens_.refusals(), 0) << "the token service was asked";
}

}  // namespace
