// upgrade.conf as operators write it (quotes, CRLF, comments) and as they should not (a URL,
// two registries, escape sequences, a huge file): each refused with one line naming the file;
// the credential flags' rules; and the order --registry, cluster, config file.
#include "upgrade/registry_resolution.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "support/temp_dir.h"

namespace upgrade {
namespace {

bool OneLine(const absl::Status& status) {
  return std::string(status.message()).find('\n') == std::string::npos;
}

TEST(UpgradeConfTest, ReadsTheRegistryLineAsOperatorsWriteIt) {
  const struct {
    const char* text;
    const char* want;
  } cases[] = {
      {"registry: reg.example:5000\n", "reg.example:5000"},
      {"registry:reg.example:5000", "reg.example:5000"},  // no newline at the end
      {"registry: reg.example:5000\r\nother: x\r\n", "reg.example:5000"},
      {"registry: \"reg.example:5000\"\n", "reg.example:5000"},
      {"registry: 'reg.example:5000'  # the mirror\n", "reg.example:5000"},
      {"registry:\treg.example:5000\t# comment\r\n", "reg.example:5000"},
      {"# registry: old.example:1\nregistry: reg.example:5000\n", "reg.example:5000"},
      {"other:\n  registry: nested.example\nregistry: reg.example\n", "reg.example"},
      {"registry: [fd00::1]:11443\n", "[fd00::1]:11443"},
      {"registry: reg.example\nregistry: \"reg.example\"\n", "reg.example"},  // same twice
  };
  for (const auto& c : cases) {
    auto registry = ParseUpgradeConf(c.text, "/pkg/upgrade.conf");
    ASSERT_TRUE(registry.ok()) << c.text << ": " << registry.status();
    EXPECT_EQ(*registry, c.want) << c.text;
  }
}

TEST(UpgradeConfTest, RefusesWhatIsNotAHostWithOneLineNamingFileAndLine) {
  const struct {
    std::string text;
    const char* says;
  } cases[] = {
      {"# only a comment\n", "/pkg/upgrade.conf has no `registry: host:port` line"},
      {"", "has no `registry: host:port` line"},
      {"registry:\n", "line 1: registry: has no value"},
      {"registry: # later\n", "line 1: registry: has no value"},
      {"x: 1\nregistry: \"reg.example\n", "line 2: registry: has an opening quote but no closing"},
      {"registry: 'reg.example' extra\n", "has text after the quoted value"},
      {"registry: https://reg.example:5000\n", "has a scheme; write host[:port]"},
      {"registry: reg.example:5000/acp\n", "has a path; write host[:port]"},
      {"registry: reg example\n", "is not host[:port]"},
      {"registry: a\nx: y\nregistry: b\n", "lines 1 and 3 name different registries (a and b)"},
      {std::string("registry: reg\0.example\n", 23), "is not host[:port]"},
      {"registry: " + std::string(400, 'a') + "\n", "400 bytes, longer than a host:port can be"},
  };
  for (const auto& c : cases) {
    auto registry = ParseUpgradeConf(c.text, "/pkg/upgrade.conf");
    ASSERT_FALSE(registry.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(registry.status()));
    EXPECT_NE(std::string(registry.status().message()).find(c.says), std::string::npos)
        << registry.status();
    EXPECT_TRUE(std::string(registry.status().message()).starts_with("/pkg/upgrade.conf"))
        << registry.status();
    EXPECT_TRUE(OneLine(registry.status())) << registry.status();
  }
}

TEST(UpgradeConfTest, AnEscapeSequenceIsNotEchoedToTheTerminal) {
  auto registry = ParseUpgradeConf("registry: reg\x1b[2J\x1b]0;owned\x07\r\n", "upgrade.conf");
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(std::string(registry.status().message()).find('\x1b'), std::string::npos)
      << registry.status();
  EXPECT_TRUE(OneLine(registry.status()));
}

TEST(UpgradeConfTest, FileTooLargeDirectoryOrMissingIsOneLine) {
  testing_support::TempDir dir;
  const std::string big = dir.File("big.conf");
  {
    std::ofstream out(big);
    out << "registry: reg.example\n" << std::string(kMaxUpgradeConfBytes, '#') << "\n";
  }
  auto too_big = ReadUpgradeConf(big);
  ASSERT_FALSE(too_big.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(too_big.status()));
  EXPECT_NE(std::string(too_big.status().message())
                .find("config file " + big + " is 65559 bytes, more than the 65536 it may have"),
            std::string::npos)
      << too_big.status();
  EXPECT_TRUE(OneLine(too_big.status()));

  auto directory = ReadUpgradeConf(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(std::string(directory.status().message()).find("is a directory"), std::string::npos);

  const std::string good = dir.File("upgrade.conf");
  std::ofstream(good) << "registry: \"reg.example:5000\"\r\n";
  auto read = ReadUpgradeConf(good);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "reg.example:5000");
}

// username, password ("" and `given` false: none), --target-creds.
GivenCredentials Given(std::string username, std::string password, bool given,
                       std::string base64_pair = "") {
  GivenCredentials credentials;
  credentials.username = std::move(username);
  credentials.password = common::Secret(std::move(password));
  credentials.password_given = given;
  credentials.base64_pair = common::Secret(std::move(base64_pair));
  return credentials;
}

TEST(CredentialsTest, TheFlagsMeanOnePairOrAreRefused) {
  auto anonymous = CheckCredentials(Given("", "", false));
  ASSERT_TRUE(anonymous.ok());
  EXPECT_TRUE(anonymous->username.empty());

  auto checked = CheckCredentials(Given("alice", "pa ss", true));
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->password.Reveal(), "pa ss");

  auto decoded = CheckCredentials(Given("", "", false, "YWxpY2U6cGEgc3M="));  // alice:pa ss
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->username, "alice");
  EXPECT_EQ(decoded->password.Reveal(), "pa ss");

  const struct {
    GivenCredentials given;
    const char* says;
  } refused[] = {
      {Given("bob", "", false, "YWxpY2U6cGEgc3M="),
       "--target-creds and --username are alternatives"},
      {Given("", "", false, "not base64 !"), "--target-creds is not base64"},
      {Given("", "", false, "YWxpY2U="), "--target-creds is not base64"},  // "alice"
      {Given("", "s3cret", true), "a password was given without --username"},
      {Given("alice", "", false), "--username needs --password or --password-stdin"},
      {Given("alice", "", true), "the password given for --username is empty"},
  };
  for (const auto& c : refused) {
    auto result = CheckCredentials(c.given);
    ASSERT_FALSE(result.ok()) << c.says;
    EXPECT_TRUE(absl::IsInvalidArgument(result.status()));
    EXPECT_NE(std::string(result.status().message()).find(c.says), std::string::npos)
        << result.status();
    EXPECT_EQ(std::string(result.status().message()).find("s3cret"), std::string::npos);
  }
}

TEST(ResolveRegistryTest, FlagThenConfigFileWithoutACluster) {
  testing_support::TempDir dir;
  RegistryRequest request;
  request.config_file = dir.File("upgrade.conf");
  request.credentials.username = "alice";
  request.credentials.password = common::Secret("pa ss");

  auto missing = ResolveRegistry(request, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_NE(std::string(missing.status().message()).find("no config file " + request.config_file),
            std::string::npos)
      << missing.status();

  std::ofstream(request.config_file) << "registry: conf.example:5000\r\n";
  auto from_config = ResolveRegistry(request, nullptr);
  ASSERT_TRUE(from_config.ok()) << from_config.status();
  EXPECT_EQ(from_config->registry.address, "conf.example:5000");
  EXPECT_EQ(from_config->registry.where_from, request.config_file);
  EXPECT_EQ(from_config->registry.username, "alice");
  EXPECT_TRUE(from_config->warning.empty());

  request.registry = "flag.example";
  auto from_flag = ResolveRegistry(request, nullptr);
  ASSERT_TRUE(from_flag.ok());
  EXPECT_EQ(from_flag->registry.address, "flag.example");
  EXPECT_EQ(from_flag->registry.where_from, "--registry");
  EXPECT_EQ(from_flag->registry.password.Reveal(), "pa ss");

  request.registry = "https://flag.example";
  auto url = ResolveRegistry(request, nullptr);
  ASSERT_FALSE(url.ok());
  EXPECT_NE(std::string(url.status().message())
                .find("--registry \"https://flag.example\" has a "
                      "scheme"),
            std::string::npos)
      << url.status();
}

// No --username: the login an operator keeps (docker login's ~/.docker/config.json, a
// credential helper, podman's auth.json) is resolved here, once, for every step.
TEST(ResolveRegistryTest, LoginFromAuthFilesWhenNoUsernameWasGiven) {
  testing_support::TempDir dir;
  std::filesystem::create_directories(dir.File("docker"));
  std::ofstream(dir.File("docker/config.json"))
      << R"({"auths":{"https://flag.example:5000":{"auth":"ZGF2ZTpkb2NrZXItcHc="}}})";
  RegistryRequest request;
  request.registry = "flag.example:5000";
  request.logins.docker_config = dir.File("docker");
  auto login = ResolveRegistry(request, nullptr);
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->registry.username, "dave");
  EXPECT_EQ(login->registry.password.Reveal(), "docker-pw");
  EXPECT_EQ(login->credentials_from, "auth file " + dir.File("docker/config.json"));

  request.credentials.username = "alice";  // --username wins; no file is read
  request.credentials.password = common::Secret("pa ss");
  auto flags = ResolveRegistry(request, nullptr);
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->registry.username, "alice");
  EXPECT_TRUE(flags->credentials_from.empty());

  request.credentials = {};  // a broken helper: credentials missing (4), one line
  std::ofstream(dir.File("docker/config.json")) << R"({"credsStore":"absent"})";
  auto broken = ResolveRegistry(request, nullptr);
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(broken.status())) << broken.status();
  EXPECT_TRUE(OneLine(broken.status()));
  EXPECT_NE(std::string(broken.status().message()).find("docker-credential-absent"),
            std::string::npos);

  request.logins = {};  // nowhere to look: anonymous, as before
  auto anonymous = ResolveRegistry(request, nullptr);
  ASSERT_TRUE(anonymous.ok());
  EXPECT_TRUE(anonymous->registry.username.empty());
}

}  // namespace
}  // namespace upgrade
