#include "upgrade/cluster_access.h"

#include <cstdlib>
#include <filesystem>

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

k8s::PlatformConnection ToConnection(const ConnectionFlags& flags) {
  k8s::PlatformConnection connection;
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

absl::StatusOr<k8s::RestConfig> GlobalClusterConfig(const k8s::PlatformConnection& connection) {
  return k8s::ConfigForCluster(connection, "global");
}

absl::StatusOr<k8s::RestConfig> WorkloadClusterConfig(const k8s::PlatformConnection& connection,
                                                      const std::string& cluster) {
  auto config = k8s::ConfigForCluster(connection, cluster);
  if (!config.ok() || cluster == "global" || !connection.platform_address.empty()) return config;
  std::string server = config->server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  config->server = server + "/kubernetes/" + cluster;
  config->source += " (platform proxy to cluster " + cluster + ")";
  return config;
}

bool ConnectionConfigured(const k8s::PlatformConnection& connection) {
  if (!connection.platform_address.empty() || !connection.kubeconfig.empty()) return true;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) return true;
  const char* home = std::getenv("HOME");
  return home && std::filesystem::exists(std::string(home) + "/.kube/config");
}

}  // namespace upgrade
