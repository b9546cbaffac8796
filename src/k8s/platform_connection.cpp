#include "k8s/platform_connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace k8s {

absl::StatusOr<std::string> NormalizePlatformAddress(const std::string& address,
                                                     const std::string& flag) {
  std::string url = address;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.empty()) return absl::InvalidArgumentError(fmt::format("{} is empty", flag));
  if (url.find("://") == std::string::npos) url = "https://" + url;
  if (!url.starts_with("https://") && !url.starts_with("http://")) {
    return absl::InvalidArgumentError(
        fmt::format("{} {}: only http:// and https:// addresses are supported", flag, address));
  }
  const size_t host_start = url.find("://") + 3;
  const std::string host = url.substr(host_start, url.find('/', host_start) - host_start);
  if (host.empty()) {
    return absl::InvalidArgumentError(fmt::format("{} {}: no host in it", flag, address));
  }
  const size_t colons = std::count(host.begin(), host.end(), ':');
  if (colons > 1 && host.front() != '[') {
    return absl::InvalidArgumentError(fmt::format(
        "{} {}: write an IPv6 address in brackets, e.g. https://[fd00::10]:443", flag, address));
  }
  return url;
}

absl::StatusOr<RestConfig> ConfigForCluster(const PlatformConnection& connection,
                                            const std::string& cluster) {
  if (connection.platform_address.empty()) {
    std::string path = connection.kubeconfig;
    if (path.empty()) {
      const char* env = std::getenv("KUBECONFIG");
      const char* home = std::getenv("HOME");
      path = env && *env ? env : (home ? std::string(home) + "/.kube/config" : "");
    }
    if (path.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "no cluster to talk to: give {} and a token, or --kubeconfig", connection.address_flag));
    }
    return LoadKubeconfig(path, connection.context);
  }
  auto address = NormalizePlatformAddress(connection.platform_address, connection.address_flag);
  if (!address.ok()) return address.status();
  const bool basic = !connection.platform_username.empty() || !connection.platform_password.empty();
  if (!connection.platform_token.empty() && basic) {
    return absl::InvalidArgumentError(
        "--platform-token cannot be combined with --platform-username/--platform-password: "
        "give one of them");
  }
  if (basic && (connection.platform_username.empty() || connection.platform_password.empty())) {
    return absl::InvalidArgumentError(
        "--platform-username and --platform-password go together: give both (or "
        "--platform-token)");
  }
  if (connection.platform_token.empty() && !basic) {
    return absl::InvalidArgumentError(
        fmt::format("{} needs an API token: give --platform-token (Profile > API Tokens)",
                    connection.address_flag));
  }
  RestConfig config;
  config.server = *address + "/kubernetes/" + cluster;
  config.token = connection.platform_token;
  config.username = connection.platform_username;
  config.password = connection.platform_password;
  config.ca_file = connection.ca_file;
  config.insecure_skip_tls_verify = connection.insecure_skip_tls_verify;
  config.source = fmt::format("platform {} (cluster {})", *address, cluster);
  return config;
}

}  // namespace k8s
