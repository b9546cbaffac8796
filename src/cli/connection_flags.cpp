#include "cli/connection_flags.h"

#include <cstdlib>

namespace cli {
namespace {

std::string FlagOrEnv(const std::string& flag, std::initializer_list<const char*> variables) {
  if (!flag.empty()) return flag;
  for (const char* variable : variables) {
    if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') {
      return value;
    }
  }
  return "";
}

}  // namespace

void AddConnectionFlags(CLI::App& app, ConnectionFlags& flags) {
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig of the global cluster, used without --platform-address (default "
                 "$KUBECONFIG, then ~/.kube/config)");
  app.add_option("--context", flags.context, "kubeconfig context (default: its current-context)");
  app.add_option("--platform-address", flags.platform_address,
                 "platform URL (https://acp.example.com, https://[fd00::10]); clusters are "
                 "reached through <address>/kubernetes/<cluster>");
  app.add_option("--platform-token", flags.platform_token,
                 "API token from Profile > API Tokens (or $ACP_PLATFORM_TOKEN or "
                 "$VIOLET_PLATFORM_TOKEN; a flag shows in ps)");
  app.add_option("--platform-username", flags.platform_username,
                 "a local platform user (instead of a token)");
  app.add_option("--platform-password", flags.platform_password,
                 "its password (or $VIOLET_PLATFORM_PASSWORD; a flag shows in ps)");
  app.add_option("--platform-ca-file", flags.ca_file, "CA bundle for --platform-address");
  app.add_flag("--insecure-skip-tls-verify,--platform-insecure", flags.insecure,
               "do not verify --platform-address's certificate");
}

platform::Connection ToConnection(const ConnectionFlags& flags) {
  platform::Connection connection;
  connection.kubeconfig = flags.kubeconfig;
  connection.context = flags.context;
  connection.platform_address = flags.platform_address;
  connection.platform_token = common::Secret(
      FlagOrEnv(flags.platform_token, {"ACP_PLATFORM_TOKEN", "VIOLET_PLATFORM_TOKEN"}));
  connection.platform_username = flags.platform_username;
  connection.platform_password =
      common::Secret(FlagOrEnv(flags.platform_password, {"VIOLET_PLATFORM_PASSWORD"}));
  connection.ca_file = flags.ca_file;
  connection.insecure_skip_tls_verify = flags.insecure;
  return connection;
}

}  // namespace cli
