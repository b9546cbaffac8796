#include "upgrade/cluster_access.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

namespace upgrade {

void AddConnectionFlags(CLI::App& app, ConnectionFlags& flags) {
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig of the global cluster (default $KUBECONFIG, then ~/.kube/config)");
  app.add_option("--context", flags.context, "kubeconfig context (default: its current-context)");
  app.add_option("--platform-address", flags.platform_address,
                 "platform address (https://acp.example.com); clusters are reached through "
                 "<address>/kubernetes/<cluster>");
  app.add_option("--platform-token", flags.platform_token,
                 "API token for --platform-address (or $ACP_PLATFORM_TOKEN)");
  app.add_option("--platform-ca-file", flags.ca_file, "CA bundle for --platform-address");
  app.add_flag("--insecure-skip-tls-verify", flags.insecure,
               "do not verify --platform-address's certificate");
}

platform::Connection ToConnection(const ConnectionFlags& flags) {
  platform::Connection connection;
  connection.kubeconfig = flags.kubeconfig;
  connection.context = flags.context;
  connection.platform_address = flags.platform_address;
  std::string token = flags.platform_token;
  if (token.empty()) {
    if (const char* env = std::getenv("ACP_PLATFORM_TOKEN")) token = env;
  }
  connection.platform_token = common::Secret(token);
  connection.ca_file = flags.ca_file;
  connection.insecure_skip_tls_verify = flags.insecure;
  return connection;
}

}  // namespace upgrade
