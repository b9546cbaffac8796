#include "k8s/rest_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/status_macros.h"

namespace k8s {
namespace {

// A kubeconfig with a few hundred contexts and embedded certificates is well below this.
constexpr size_t kMaxKubeconfigBytes = 16 << 20;
constexpr size_t kMaxTokenBytes = 1 << 20;
constexpr int kMaxKubeconfigDepth = 64;

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& what,
                                     size_t max_bytes = kMaxTokenBytes) {
  auto text = common::ReadRegularFile(path, max_bytes, path);
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(fmt::format("{}: cannot read {}", what, path));
  }
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}; refusing it", what, common::View(text.status().message())));
  }
  return text;
}

std::string Scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

// The entry of `list` (clusters/users/contexts) named `name`, its inner map.
std::optional<YAML::Node> Named(const YAML::Node& list, const std::string& name,
                                const char* inner) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const YAML::Node& entry : list) {
    if (Scalar(entry, "name") == name && entry[inner] && entry[inner].IsMap()) {
      return entry[inner];
    }
  }
  return std::nullopt;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

absl::StatusOr<std::string> Data(const YAML::Node& node, const char* key,
                                 const std::string& where) {
  const std::string encoded = Scalar(node, key);
  if (encoded.empty()) return std::string();
  auto decoded = common::DecodeBase64(encoded);
  if (!decoded)
    return absl::InvalidArgumentError(fmt::format("{}: {} is not valid base64", where, key));
  return *decoded;
}

absl::StatusOr<RestConfig> Parse(const YAML::Node& root, const std::string& path,
                                 const std::string& context_override) {
  const std::string where = fmt::format("kubeconfig {}", path);
  const std::string context_name =
      context_override.empty() ? Scalar(root, "current-context") : context_override;
  if (context_name.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: no current-context set; name a context or run kubectl config use-context", where));
  }
  const std::optional<YAML::Node> found_context = Named(root["contexts"], context_name, "context");
  if (!found_context) {
    return absl::NotFoundError(fmt::format("{}: context \"{}\" not found", where, context_name));
  }
  const YAML::Node& context = *found_context;
  const std::string cluster_name = Scalar(context, "cluster");
  const std::optional<YAML::Node> found_cluster = Named(root["clusters"], cluster_name, "cluster");
  if (!found_cluster) {
    return absl::NotFoundError(fmt::format("{}: cluster \"{}\" of context \"{}\" not found", where,
                                           cluster_name, context_name));
  }
  const YAML::Node& cluster = *found_cluster;
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  RestConfig config;
  config.source = where;
  config.server = Scalar(cluster, "server");
  if (config.server.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: cluster \"{}\" has no server", where, cluster_name));
  }
  config.insecure_skip_tls_verify = Scalar(cluster, "insecure-skip-tls-verify") == "true";
  config.ca_file = Resolve(base_dir, Scalar(cluster, "certificate-authority"));
  ASSIGN_OR_RETURN(config.ca_pem, Data(cluster, "certificate-authority-data", where));

  const std::string user_name = Scalar(context, "user");
  if (user_name.empty()) return config;
  const std::optional<YAML::Node> found_user = Named(root["users"], user_name, "user");
  if (!found_user) {
    return absl::NotFoundError(
        fmt::format("{}: user \"{}\" of context \"{}\" not found", where, user_name, context_name));
  }
  const YAML::Node& user = *found_user;
  if (user["exec"] || user["auth-provider"]) {
    return absl::UnimplementedError(fmt::format(
        "{}: user \"{}\" uses exec/auth-provider credentials, which are not supported; use a "
        "token or a client certificate",
        where, user_name));
  }
  config.client_cert_file = Resolve(base_dir, Scalar(user, "client-certificate"));
  ASSIGN_OR_RETURN(config.client_cert_pem, Data(user, "client-certificate-data", where));
  config.client_key_file = Resolve(base_dir, Scalar(user, "client-key"));
  ASSIGN_OR_RETURN(std::string key_pem, Data(user, "client-key-data", where));
  config.client_key_pem = common::Secret(std::move(key_pem));
  std::string token = Scalar(user, "token");
  const std::string token_file = Resolve(base_dir, Scalar(user, "tokenFile"));
  if (token.empty() && !token_file.empty()) {
    ASSIGN_OR_RETURN(token, ReadFile(token_file, where + ": tokenFile"));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  }
  config.token = common::Secret(std::move(token));
  return config;
}

}  // namespace

absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  ASSIGN_OR_RETURN(const std::string text, ReadFile(path, "kubeconfig", kMaxKubeconfigBytes));
  auto parsed = common::ParseYamlBounded(text, kMaxKubeconfigBytes, kMaxKubeconfigDepth,
                                         "kubeconfig " + path);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node root = *parsed;
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(fmt::format("kubeconfig {}: expected a mapping", path));
  }
  try {
    return Parse(root, path, context);
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(fmt::format("kubeconfig {}: {}", path, error.what()));
  }
}

absl::StatusOr<RestConfig> LoadInClusterConfig(const std::string& account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return absl::FailedPreconditionError(
        "in-cluster config: KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod?)");
  }
  RestConfig config;
  config.source = "in-cluster config";
  const std::string host_text = host;
  config.server = host_text.find(':') != std::string::npos
                      ? fmt::format("https://[{}]:{}", host_text, port)
                      : fmt::format("https://{}:{}", host_text, port);
  ASSIGN_OR_RETURN(std::string token,
                   ReadFile(account_dir + "/token", "in-cluster config: service account token"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  config.token = common::Secret(std::move(token));
  config.ca_file = account_dir + "/ca.crt";
  return config;
}

}  // namespace k8s
