#include "platform/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "common/untrusted_text.h"
#include "platform/resources.h"

namespace platform {

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

namespace {

constexpr size_t kMaxClusterName = 63;

// A cluster name becomes a URL path segment: a DNS label (RFC 1123), as the platform requires.
absl::Status CheckClusterName(std::string_view cluster) {
  const bool valid = cluster.size() <= kMaxClusterName &&
                     std::isalnum(static_cast<unsigned char>(cluster.front())) &&
                     std::isalnum(static_cast<unsigned char>(cluster.back())) &&
                     std::all_of(cluster.begin(), cluster.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                     });
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(fmt::format(
      "cluster name \"{}\" is not a cluster name: use at most {} lowercase letters, digits "
      "and '-', starting and ending with a letter or digit",
      common::Clip(cluster, kMaxClusterName + 1), kMaxClusterName));
}

}  // namespace

std::string KubeconfigPath(const Connection& connection) {
  if (!connection.kubeconfig.empty()) return connection.kubeconfig;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) return env;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  std::string path = std::string(home) + "/.kube/config";
  std::error_code error;
  return std::filesystem::exists(path, error) ? path : "";
}

absl::Status RequireConnection(const Connection& connection) {
  if (!connection.platform_address.empty() || !KubeconfigPath(connection).empty()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      fmt::format("no platform to talk to: give {} with --platform-token (or "
                  "--platform-username/--platform-password), or --kubeconfig",
                  connection.address_flag));
}

absl::StatusOr<k8s::RestConfig> ConfigForCluster(const Connection& connection,
                                                 std::string_view cluster) {
  if (cluster.empty()) cluster = kGlobalCluster;
  if (absl::Status status = CheckClusterName(cluster); !status.ok()) return status;
  const bool global = cluster == kGlobalCluster;
  if (connection.platform_address.empty()) {
    if (absl::Status status = RequireConnection(connection); !status.ok()) return status;
    // --kubeconfig names one file (as kubectl's flag does); KUBECONFIG may list several.
    auto config = connection.kubeconfig.empty()
                      ? k8s::LoadKubeconfigList(KubeconfigPath(connection), connection.context)
                      : k8s::LoadKubeconfig(connection.kubeconfig, connection.context);
    if (!config.ok() || global) return config;
    std::string server = config->server;
    while (!server.empty() && server.back() == '/') server.pop_back();
    config->server = fmt::format("{}/kubernetes/{}", server, cluster);
    config->source += fmt::format(" (platform proxy to cluster {})", cluster);
    return config;
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
  k8s::RestConfig config;
  config.server = fmt::format("{}/kubernetes/{}", *address, cluster);
  config.token = connection.platform_token;
  config.username = connection.platform_username;
  config.password = connection.platform_password;
  config.ca_file = connection.ca_file;
  config.insecure_skip_tls_verify = connection.insecure_skip_tls_verify;
  config.source = fmt::format("platform {} (cluster {})", *address, cluster);
  return config;
}

}  // namespace platform
