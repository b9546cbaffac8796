// The registry credential chain without a registry: podman's file order, credHelpers over
// credsStore over auths, identity tokens, and docker-credential-<name> helpers (bash scripts
// on a PATH of the test's own) that answer, have nothing, fail, are missing or misbehave.
#include "registry/credential_chain.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

namespace {

using registry::CredentialSearch;
using registry::FindRegistryCredentials;

class CredentialChainTest : public ::testing::Test {
 protected:
  CredentialChainTest() {
    std::filesystem::create_directories(dir_.File("bin"));
    search_.runtime_dir = dir_.File("run");
    search_.config_home = dir_.File("home/.config");
    search_.docker_config = dir_.File("home/.docker");
    search_.helpers.path = dir_.File("bin");
  }

  // docker-credential-<name> running `body` (bash) for `get`.
  void Helper(const std::string& name, const std::string& body) {
    const std::string path = dir_.File("bin/docker-credential-" + name);
    std::ofstream(path) << "#!/bin/bash\n[ \"$1\" = get ] || exit 9\nread -r server\n"
                        << body << "\n";
    chmod(path.c_str(), 0755);
  }
  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
  }
  std::string RuntimeFile() { return search_.runtime_dir + "/containers/auth.json"; }
  std::string ConfigFile() { return search_.config_home + "/containers/auth.json"; }
  std::string DockerFile() { return search_.docker_config + "/config.json"; }
  static std::string Auths(const std::string& key, const std::string& base64) {
    return R"({"auths":{")" + key + R"(":{"auth":")" + base64 + R"("}}})";
  }

  testing_support::TempDir dir_;
  CredentialSearch search_;
};

constexpr const char* kAlice = "YWxpY2U6cnVuLXB3";      // alice:run-pw
constexpr const char* kCarol = "Y2Fyb2w6Y29uZi1wdw==";  // carol:conf-pw
constexpr const char* kDave = "ZGF2ZTpkb2NrZXItcHc=";   // dave:docker-pw

TEST_F(CredentialChainTest, FilesAreSearchedInPodmansOrderAndTheFirstEntryWins) {
  Write(RuntimeFile(), Auths("other:1", kAlice));
  Write(ConfigFile(), Auths("reg:5000", kCarol));
  Write(DockerFile(), Auths("https://reg:5000/v1/", kDave));
  auto found = FindRegistryCredentials("reg:5000", search_);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->credentials.username, "carol");
  EXPECT_EQ((*found)->source, "auth file " + ConfigFile());

  Write(RuntimeFile(), Auths("reg:5000", kAlice));  // $XDG_RUNTIME_DIR first
  EXPECT_EQ((*FindRegistryCredentials("reg:5000", search_))->credentials.username, "alice");
  std::filesystem::remove(RuntimeFile());
  std::filesystem::remove(ConfigFile());
  EXPECT_EQ((*FindRegistryCredentials("reg:5000", search_))->credentials.username, "dave");

  search_.authfile = dir_.File("explicit.json");  // --authfile before all of them
  Write(search_.authfile, Auths("reg:5000", kAlice));
  EXPECT_EQ((*FindRegistryCredentials("reg:5000", search_))->credentials.username, "alice");
  EXPECT_EQ(search_.AuthFiles(), (std::vector<std::string>{search_.authfile, RuntimeFile(),
                                                           ConfigFile(), DockerFile()}));

  EXPECT_FALSE(FindRegistryCredentials("unknown:1", search_)->has_value());
  search_.authfile = dir_.File("missing.json");
  search_.authfile_from_flag = true;
  auto missing = FindRegistryCredentials("reg:5000", search_);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_NE(missing.status().message().find("--authfile " + search_.authfile + " does not exist"),
            std::string::npos)
      << missing.status();
}

// Sets variables for one test and puts back what was there.
class SavedEnv {
 public:
  SavedEnv() {
    for (const char* name :
         {"HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
  }
  ~SavedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(CredentialChainTest, FromEnvironmentNamesTheFilesPodmanAndDockerUse) {
  SavedEnv saved;
  setenv("HOME", "/home/op", 1);
  setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
  unsetenv("XDG_CONFIG_HOME");
  unsetenv("DOCKER_CONFIG");
  setenv("REGISTRY_AUTH_FILE", "/etc/auth.json", 1);
  EXPECT_EQ(CredentialSearch::FromEnvironment("").AuthFiles(),
            (std::vector<std::string>{"/etc/auth.json", "/run/user/1000/containers/auth.json",
                                      "/home/op/.config/containers/auth.json",
                                      "/home/op/.docker/config.json"}));
  EXPECT_EQ(CredentialSearch::FromEnvironment("/tmp/a.json").AuthFiles().front(), "/tmp/a.json");
  unsetenv("REGISTRY_AUTH_FILE");
  unsetenv("XDG_RUNTIME_DIR");
  EXPECT_EQ(CredentialSearch::FromEnvironment("").AuthFiles().front(),
            "/run/containers/" + std::to_string(getuid()) + "/containers/auth.json");
}

TEST_F(CredentialChainTest, CredentialHelperAnswersGetWithTheServerUrlOnStdin) {
  Helper("store",
         R"([ "$server" = reg:5000 ] || { echo "asked for $server"; exit 1; }
echo '{"ServerURL":"reg:5000","Username":"erin","Secret":"helper-pw"}')");
  Write(DockerFile(), R"({"credsStore":"store","auths":{"reg:5000":{}}})");
  auto found = FindRegistryCredentials("reg:5000", search_);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->credentials.username, "erin");
  EXPECT_EQ((*found)->credentials.password.Reveal(), "helper-pw");
  EXPECT_EQ((*found)->source, "docker-credential-store (credsStore of " + DockerFile() + ")");

  // credHelpers names this registry's own helper: it wins over credsStore.
  Helper("perhost", R"(echo '{"ServerURL":"reg:5000","Username":"frank","Secret":"pw"}')");
  Write(DockerFile(), R"({"credsStore":"store","credHelpers":{"reg:5000":"perhost"}})");
  EXPECT_EQ((*FindRegistryCredentials("reg:5000", search_))->credentials.username, "frank");

  // Username "<token>": the secret is an identity token.
  Helper("perhost", R"(echo '{"ServerURL":"reg:5000","Username":"<token>","Secret":"refresh"}')");
  auto token = FindRegistryCredentials("reg:5000", search_);
  ASSERT_TRUE(token.ok() && token->has_value());
  EXPECT_TRUE((*token)->credentials.identity_token());
  EXPECT_EQ((*token)->credentials.password.Reveal(), "refresh");
}

TEST_F(CredentialChainTest, DockerHubIsAskedByItsLegacyUrlAndItsAliasesMatch) {
  Helper("hub", R"([ "$server" = https://index.docker.io/v1/ ] || exit 1
echo '{"ServerURL":"x","Username":"hubuser","Secret":"pw"}')");
  Write(DockerFile(), R"({"credHelpers":{"docker.io":"hub"}})");
  for (const char* host : {"docker.io", "registry-1.docker.io", "index.docker.io"}) {
    auto found = FindRegistryCredentials(host, search_);
    ASSERT_TRUE(found.ok()) << host << ": " << found.status();
    ASSERT_TRUE(found->has_value()) << host;
    EXPECT_EQ((*found)->credentials.username, "hubuser");
  }
  Write(DockerFile(), Auths("https://index.docker.io/v1/", kDave));
  EXPECT_EQ((*FindRegistryCredentials("registry-1.docker.io", search_))->credentials.username,
            "dave");
}

TEST_F(CredentialChainTest, HelperWithoutTheEntryFallsThroughToTheNextFile) {
  Helper("empty", R"(echo "credentials not found in native keychain"; exit 1)");
  Write(ConfigFile(), R"({"credHelpers":{"reg:5000":"empty"}})");
  Write(DockerFile(),
        R"({"credsStore":"empty","auths":{"reg:5000":{"auth":")" + std::string(kDave) + R"("}}})");
  auto found = FindRegistryCredentials("reg:5000", search_);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->credentials.username, "dave");  // the store had none: the file's auths
  EXPECT_EQ((*found)->source, "auth file " + DockerFile());
  Write(DockerFile(), R"({"credsStore":"empty"})");
  auto none = FindRegistryCredentials("reg:5000", search_);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
}

// A helper that fails, is missing or misbehaves: one line naming the helper and the host,
// never anything the helper printed.
TEST_F(CredentialChainTest, FailingMissingAndHostileHelpersGiveOneLine) {
  struct Case {
    std::string name, body, expected;
  };
  const std::vector<Case> cases = {
      {"failing", R"(echo '{"Username":"u","Secret":"leaked-secret"}'; exit 3)",
       "exited with status 3"},
      {"garbage", "echo 'leaked-secret is not json'", "answered no JSON object"},
      {"flood", "head -c 200000 /dev/zero | tr '\\0' x", "answered more than 65536 bytes"},
      {"killed", "kill -9 $$", "was killed by signal 9"},
      {"hangs", "exec sleep 30", "gave no answer within 0.3 s"},
  };
  search_.helpers.timeout = std::chrono::milliseconds(300);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Helper(c.name, c.body);
    Write(DockerFile(), R"({"credHelpers":{"reg:5000":")" + c.name + R"("}})");
    auto found = FindRegistryCredentials("reg:5000", search_);
    ASSERT_FALSE(found.ok());
    EXPECT_TRUE(absl::IsUnauthenticated(found.status()));
    const std::string message(found.status().message());
    EXPECT_NE(message.find("credential helper docker-credential-" + c.name +
                           " for reg:5000: " + c.expected),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("credHelpers of " + DockerFile()), std::string::npos) << message;
    EXPECT_EQ(message.find("leaked-secret"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  Write(DockerFile(), R"({"credsStore":"absent"})");
  auto missing = FindRegistryCredentials("reg:5000", search_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(
                "credential helper docker-credential-absent for reg:5000: not found on PATH"),
            std::string::npos)
      << missing.status();
  Write(DockerFile(), R"({"credsStore":"../../bin/sh"})");  // never a path
  auto path = FindRegistryCredentials("reg:5000", search_);
  ASSERT_FALSE(path.ok());
  EXPECT_NE(path.status().message().find("not a plain file name"), std::string::npos)
      << path.status();
}

TEST_F(CredentialChainTest, IdentityTokenInAuthsIsKeptAsOne) {
  Write(DockerFile(), R"({"auths":{"reg:5000":{"auth":"dXNlcjo=","identitytoken":"refresh-1"}}})");
  auto found = FindRegistryCredentials("reg:5000", search_);
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_TRUE((*found)->credentials.identity_token());
  EXPECT_EQ((*found)->credentials.password.Reveal(), "refresh-1");
}

}  // namespace

namespace registry {
namespace {

// The pure halves the fuzzers drive: a helper's answer and an auth file's text.
TEST(CredentialParsingTest, HelperAnswers) {
  auto found = ParseHelperAnswer(R"({"Username":"u","Secret":"s"})", 0, "pass", "reg:5000");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->username, "u");
  EXPECT_EQ((*found)->password.Reveal(), "s");
  auto none = ParseHelperAnswer("credentials not found in native keychain\n", 1 << 8, "pass", "r");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  auto failed = ParseHelperAnswer("boom", 2 << 8, "pass", "reg:5000");
  EXPECT_TRUE(absl::IsUnauthenticated(failed.status()));
  EXPECT_EQ(failed.status().message().find("boom"), std::string::npos);
  auto garbage = ParseHelperAnswer("[1,2", 0, "pass", "reg:5000");
  EXPECT_TRUE(absl::IsUnauthenticated(garbage.status()));
}

TEST(CredentialParsingTest, AuthFileText) {
  HelperOptions no_helpers;
  auto found = LookupAuthFileText(R"({"auths":{"https://reg:5000/v2/":{"auth":"dTpw"}}})", "a.json",
                                  "reg:5000", no_helpers);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->credentials.username, "u");
  auto broken = LookupAuthFileText("{\"auths\":", "a.json", "reg:5000", no_helpers);
  EXPECT_TRUE(absl::IsInvalidArgument(broken.status()));
  EXPECT_NE(broken.status().message().find("auth file a.json"), std::string::npos);
}

}  // namespace
}  // namespace registry
