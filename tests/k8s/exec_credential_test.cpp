// exec credential plugins: the kubeconfig stanza, the ExecCredential the plugin prints, and
// one clear line for every way a plugin fails (missing, non-zero exit, garbage, no terminal).
#include "k8s/exec_credential.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/absl_fmt.h"
#include "k8s/rest_config.h"
#include "support/temp_dir.h"

namespace {

constexpr const char* kV1 = "client.authentication.k8s.io/v1";

std::string Script(const testing_support::TempDir& dir, const std::string& name,
                   const std::string& body) {
  const std::string path = dir.File(name);
  std::ofstream(path) << "#!/bin/bash\n" << body << "\n";
  chmod(path.c_str(), 0700);
  return path;
}

k8s::ExecConfig Exec(const std::string& command) {
  k8s::ExecConfig exec;
  exec.command = command;
  exec.api_version = kV1;
  exec.interactive_mode = "Never";
  return exec;
}

void ExpectOneLine(const absl::Status& status, const std::string& expected) {
  EXPECT_TRUE(absl::IsUnauthenticated(status)) << status;
  const std::string message(status.message());
  EXPECT_NE(message.find(expected), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  EXPECT_LT(message.size(), 1200u) << message;
}

TEST(ExecCredential, ParsesTokenCertificateAndExpiry) {
  auto token = k8s::ParseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
          "status":{"token":"s3cr3t","expirationTimestamp":"2030-01-02T03:04:05Z"}})",
      kV1, "plugin");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token.Reveal(), "s3cr3t");
  ASSERT_TRUE(token->expiry.has_value());
  EXPECT_EQ(*token->expiry,
            absl::FromCivil(absl::CivilSecond(2030, 1, 2, 3, 4, 5), absl::UTCTimeZone()));
  auto cert = k8s::ParseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",
          "status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}})",
      "client.authentication.k8s.io/v1beta1", "plugin");
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->client_cert_pem, "CERT");
  EXPECT_EQ(cert->client_key_pem.Reveal(), "KEY");
  EXPECT_FALSE(cert->expiry.has_value());
}

TEST(ExecCredential, RefusesBadOutputWithOneLine) {
  const std::string head =
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)";
  struct Case {
    std::string output, expected;
  };
  const std::vector<Case> cases = {
      {"garbage s3cr3t", "is not JSON"},
      {std::string(100, '[') + std::string(100, ']'), "nests deeper than"},
      {std::string(2 << 20, ' '), "more than"},
      {R"({"kind":"Other"})", "not an ExecCredential"},
      {R"({"apiVersion":"x/v1","kind":"ExecCredential","status":{"token":"s3cr3t"}})",
       "the kubeconfig asks for"},
      {head + R"("status":{}})", "neither status.token"},
      {head + R"("status":{"clientCertificateData":"C"}})", "only together"},
      {head + R"("status":{"token":"s3cr3t","expirationTimestamp":"soon"}})", "not an RFC 3339"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expected);
    ExpectOneLine(k8s::ParseExecCredential(c.output, kV1, "plugin").status(), c.expected);
  }
}

TEST(ExecCredential, RunsThePluginWithoutAShell) {
  testing_support::TempDir dir;
  // Writes the env, args and KUBERNETES_EXEC_INFO it got to a file.
  const std::string plugin = Script(dir, "plugin", R"(
read -t 0 line && echo "stdin was readable" >&2
printf '%s|%s|%s' "$MY_VAR" "$*" "$KUBERNETES_EXEC_INFO" > "$SEEN"
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t0"}}')");
  k8s::ExecConfig exec = Exec(plugin);
  exec.args = {"a b", "$(touch pwned)"};
  exec.env = {{"MY_VAR", "v;1"}, {"SEEN", dir.File("seen")}};
  auto credential = k8s::RunExecPlugin(exec, "plugin");
  ASSERT_TRUE(credential.ok()) << credential.status();
  EXPECT_EQ(credential->token.Reveal(), "t0");
  std::stringstream seen;
  seen << std::ifstream(dir.File("seen")).rdbuf();
  EXPECT_EQ(seen.str(),
            "v;1|a b $(touch pwned)|{\"apiVersion\":\"client.authentication.k8s.io/v1\","
            "\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}");
  EXPECT_FALSE(std::filesystem::exists("pwned"));
}

TEST(ExecCredential, FailuresAreOneClearLine) {
  testing_support::TempDir dir;
  k8s::ExecConfig missing = Exec(dir.File("no-such-plugin"));
  missing.install_hint = "install it with: brew install our-plugin";
  ExpectOneLine(k8s::RunExecPlugin(missing, "plugin").status(), "brew install our-plugin");
  ExpectOneLine(k8s::RunExecPlugin(Exec("no-such-plugin-in-path"), "plugin").status(),
                "cannot run \"no-such-plugin-in-path\"");

  const std::string failing = Script(dir, "failing", R"(
echo "token s3cr3t is not logged" 
for i in $(seq 1 200); do echo "noise line $i" >&2; done
echo "login failed: session expired" >&2
exit 3)");
  ExpectOneLine(k8s::RunExecPlugin(Exec(failing), "plugin").status(), "exited with status 3: ");
  ExpectOneLine(k8s::RunExecPlugin(Exec(failing), "plugin").status(),
                "login failed: session expired");

  ExpectOneLine(
      k8s::RunExecPlugin(Exec(Script(dir, "garbage", "echo '<html>s3cr3t'")), "plugin").status(),
      "is not JSON");
  ExpectOneLine(k8s::RunExecPlugin(Exec(Script(dir, "slow", "sleep 30")), "plugin", "", "",
                                   std::chrono::milliseconds(200))
                    .status(),
                "did not finish within");
  ExpectOneLine(
      k8s::RunExecPlugin(Exec(Script(dir, "flood", "yes s3cr3t | head -c 3000000")), "plugin")
          .status(),
      "printed more than");

  if (isatty(0) != 1) {
    k8s::ExecConfig always = Exec(Script(dir, "always", "exit 0"));
    always.interactive_mode = "Always";
    ExpectOneLine(k8s::RunExecPlugin(always, "plugin").status(), "stdin is not a terminal");
  }
}

TEST(ExecCredential, KubeconfigStanza) {
  testing_support::TempDir dir;
  const std::string path = dir.File("config");
  auto write = [&](const std::string& user) {
    std::ofstream(path) << "current-context: c\n"
                           "clusters: [{name: k, cluster: {server: 'https://k:6443'}}]\n"
                           "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                           "users: [{name: u, user: "
                        << user << "}]\n";
  };
  write(R"({exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./bin/plugin,
            args: [get-token, --x], env: [{name: A, value: b}], installHint: get it}})");
  auto config = k8s::LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->exec.has_value());
  EXPECT_EQ(config->exec->command, dir.File("bin/plugin"));
  EXPECT_EQ(config->exec->args, (std::vector<std::string>{"get-token", "--x"}));
  EXPECT_EQ(config->exec->env.at(0), (std::pair<std::string, std::string>{"A", "b"}));
  EXPECT_EQ(config->exec->interactive_mode, "IfAvailable");
  EXPECT_EQ(config->exec->install_hint, "get it");

  write("{exec: {apiVersion: client.authentication.k8s.io/v1, command: plugin}}");
  auto no_mode = k8s::LoadKubeconfig(path);
  ASSERT_FALSE(no_mode.ok());
  EXPECT_NE(no_mode.status().message().find("interactiveMode must be set"), std::string::npos);

  write("{exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: plugin}}");
  EXPECT_TRUE(absl::IsInvalidArgument(k8s::LoadKubeconfig(path).status()));

  write("{auth-provider: {name: gcp}}");
  auto provider = k8s::LoadKubeconfig(path);
  ASSERT_FALSE(provider.ok());
  EXPECT_NE(provider.status().message().find("kubectl removed in 1.26"), std::string::npos)
      << provider.status();
}

}  // namespace
