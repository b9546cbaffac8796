// The shared connection and registry flag sets keep every name each tool had.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <vector>

#include "cli/connection_flags.h"
#include "cli/registry_flags.h"

namespace {

void Parse(CLI::App& app, std::vector<std::string> args) {
  std::vector<const char*> argv = {"tool"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

class ConnectionFlagsTest : public testing::Test {
 protected:
  void SetUp() override {
    unsetenv("ACP_PLATFORM_TOKEN");
    unsetenv("VIOLET_PLATFORM_TOKEN");
    unsetenv("VIOLET_PLATFORM_PASSWORD");
  }
  void TearDown() override { SetUp(); }
};

TEST_F(ConnectionFlagsTest, BothInsecureSpellingsAndEveryFlag) {
  for (const char* insecure : {"--platform-insecure", "--insecure-skip-tls-verify"}) {
    CLI::App app;
    cli::ConnectionFlags flags;
    cli::AddConnectionFlags(app, flags);
    Parse(app,
          {"--platform-address", "https://acp", "--platform-username", "u", "--platform-password",
           "p", "--platform-ca-file", "ca.pem", "--kubeconfig", "k", "--context", "c", insecure});
    const platform::Connection connection = cli::ToConnection(flags);
    EXPECT_TRUE(connection.insecure_skip_tls_verify) << insecure;
    EXPECT_EQ(connection.platform_address, "https://acp");
    EXPECT_EQ(connection.platform_username, "u");
    EXPECT_EQ(connection.platform_password.Reveal(), "p");
    EXPECT_EQ(connection.ca_file, "ca.pem");
    EXPECT_EQ(connection.kubeconfig, "k");
    EXPECT_EQ(connection.context, "c");
  }
}

TEST_F(ConnectionFlagsTest, TokenFromFlagThenEitherVariable) {
  cli::ConnectionFlags flags;
  setenv("VIOLET_PLATFORM_TOKEN", "violet-token", 1);
  EXPECT_EQ(cli::ToConnection(flags).platform_token.Reveal(), "violet-token");
  setenv("ACP_PLATFORM_TOKEN", "acp-token", 1);
  EXPECT_EQ(cli::ToConnection(flags).platform_token.Reveal(), "acp-token");
  flags.platform_token = "flag-token";
  EXPECT_EQ(cli::ToConnection(flags).platform_token.Reveal(), "flag-token");
  setenv("VIOLET_PLATFORM_PASSWORD", "pw", 1);
  EXPECT_EQ(cli::ToConnection(flags).platform_password.Reveal(), "pw");
}

TEST(RegistryFlagsTest, VioletNamesAndTheDefaultNames) {
  CLI::App violet;
  cli::RegistryFlags pushed;
  cli::RegistryFlagNames names;
  names.registry = "--dest-repo";
  names.ca_file = "--registry-ca-file";
  names.password_env = "VIOLET_REGISTRY_PASSWORD";
  names.no_auth = true;
  cli::AddRegistryFlags(violet, pushed, names);
  Parse(violet, {"--dest-repo", "[fd00::1]:11443", "--username", "u", "--password", "p",
                 "--no-auth", "--plain", "--registry-ca-file", "ca.pem", "--min-speed", "10",
                 "--authfile", "auth.json"});
  EXPECT_EQ(pushed.authfile, "auth.json");
  EXPECT_EQ(pushed.registry, "[fd00::1]:11443");
  EXPECT_EQ(pushed.password, "p");
  EXPECT_TRUE(pushed.no_auth);
  EXPECT_TRUE(pushed.plain);
  EXPECT_EQ(pushed.ca_file, "ca.pem");
  EXPECT_EQ(pushed.limits.min_speed, 10);

  CLI::App core;
  cli::RegistryFlags access;
  cli::AddRegistryFlags(core, access);
  Parse(core, {"--registry", "r:5000", "--password-stdin", "--insecure", "--ca-file", "ca.pem",
               "--stall-seconds", "7", "--request-timeout", "9"});
  EXPECT_EQ(access.registry, "r:5000");
  EXPECT_TRUE(access.password_stdin);
  EXPECT_TRUE(access.insecure);
  EXPECT_EQ(access.limits.stall, std::chrono::seconds(7));
  EXPECT_EQ(access.limits.request_timeout, std::chrono::seconds(9));
  EXPECT_THROW(Parse(core, {"--password", "p"}), CLI::ParseError);  // only violet has it
}

}  // namespace
