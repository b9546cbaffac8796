#include "upgrade/cluster_access.h"

#include <cstdlib>
#include <filesystem>

namespace upgrade {

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
