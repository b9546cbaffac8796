#include "k8s/rest_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

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
// KUBECONFIG=a:b:...: more files than this is a mistake, not a configuration.
constexpr size_t kMaxKubeconfigFiles = 64;

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

// A named entry's inner map and the directory its relative paths are resolved against
// (the directory of the file that defined it, as client-go resolves merged files).
struct Entry {
  YAML::Node node;
  std::string base_dir;
};

// Several kubeconfig files merged as kubectl merges KUBECONFIG=a:b: for each name the first
// file that defines it wins; current-context comes from the first file that sets one.
struct Merged {
  std::string current_context;
  std::map<std::string, Entry> clusters, users, contexts;
};

void MergeList(const YAML::Node& list, const char* inner, const std::string& base_dir,
               std::map<std::string, Entry>& into) {
  if (!list || !list.IsSequence()) return;
  for (const YAML::Node& entry : list) {
    const std::string name = Scalar(entry, "name");
    if (name.empty() || into.contains(name)) continue;
    if (entry[inner] && entry[inner].IsMap()) into.emplace(name, Entry{entry[inner], base_dir});
  }
}

void MergeFile(const YAML::Node& root, const std::string& path, Merged& merged) {
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (merged.current_context.empty()) merged.current_context = Scalar(root, "current-context");
  MergeList(root["clusters"], "cluster", base_dir, merged.clusters);
  MergeList(root["users"], "user", base_dir, merged.users);
  MergeList(root["contexts"], "context", base_dir, merged.contexts);
}

const Entry* Named(const std::map<std::string, Entry>& entries, const std::string& name) {
  auto found = entries.find(name);
  return found == entries.end() ? nullptr : &found->second;
}

absl::StatusOr<ExecConfig> ParseExec(const YAML::Node& node, const std::string& base_dir,
                                     const std::string& where, const std::string& user_name) {
  const std::string what = fmt::format("{}: exec of user \"{}\"", where, user_name);
  if (!node.IsMap()) return absl::InvalidArgumentError(what + ": expected a mapping");
  ExecConfig exec;
  exec.command = Scalar(node, "command");
  if (exec.command.empty()) return absl::InvalidArgumentError(what + ": no command");
  // As client-go: a relative path (not a bare name looked up in PATH) is the kubeconfig's.
  if (exec.command.find('/') != std::string::npos) {
    exec.command = std::filesystem::path(Resolve(base_dir, exec.command)).lexically_normal();
  }
  exec.api_version = Scalar(node, "apiVersion");
  if (exec.api_version != "client.authentication.k8s.io/v1" &&
      exec.api_version != "client.authentication.k8s.io/v1beta1") {
    return absl::InvalidArgumentError(
        fmt::format("{}: apiVersion \"{}\" is not client.authentication.k8s.io/v1 or /v1beta1",
                    what, exec.api_version));
  }
  exec.interactive_mode = Scalar(node, "interactiveMode");
  if (exec.interactive_mode.empty()) {
    if (exec.api_version.ends_with("/v1")) {
      return absl::InvalidArgumentError(what + ": interactiveMode must be set for /v1 plugins");
    }
    exec.interactive_mode = "IfAvailable";
  }
  if (exec.interactive_mode != "Never" && exec.interactive_mode != "IfAvailable" &&
      exec.interactive_mode != "Always") {
    return absl::InvalidArgumentError(
        fmt::format("{}: interactiveMode \"{}\" is not Never, IfAvailable or Always", what,
                    exec.interactive_mode));
  }
  if (const YAML::Node args = node["args"]; args && args.IsSequence()) {
    for (const YAML::Node& arg : args) {
      if (arg.IsScalar()) exec.args.push_back(arg.as<std::string>());
    }
  }
  if (const YAML::Node env = node["env"]; env && env.IsSequence()) {
    for (const YAML::Node& entry : env) {
      const std::string name = Scalar(entry, "name");
      if (name.empty() || name.find('=') != std::string::npos) {
        return absl::InvalidArgumentError(what + ": an env entry has no valid name");
      }
      exec.env.emplace_back(name, Scalar(entry, "value"));
    }
  }
  exec.install_hint = Scalar(node, "installHint");
  exec.provide_cluster_info = Scalar(node, "provideClusterInfo") == "true";
  return exec;
}

absl::StatusOr<RestConfig> Parse(const Merged& merged, const std::string& path,
                                 const std::string& context_override) {
  const std::string where = fmt::format("kubeconfig {}", path);
  const std::string context_name =
      context_override.empty() ? merged.current_context : context_override;
  if (context_name.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: no current-context set; name a context or run kubectl config use-context", where));
  }
  const Entry* found_context = Named(merged.contexts, context_name);
  if (!found_context) {
    return absl::NotFoundError(fmt::format("{}: context \"{}\" not found", where, context_name));
  }
  const YAML::Node& context = found_context->node;
  const std::string cluster_name = Scalar(context, "cluster");
  const Entry* found_cluster = Named(merged.clusters, cluster_name);
  if (!found_cluster) {
    return absl::NotFoundError(fmt::format("{}: cluster \"{}\" of context \"{}\" not found", where,
                                           cluster_name, context_name));
  }
  const YAML::Node& cluster = found_cluster->node;
  std::string base_dir = found_cluster->base_dir;
  RestConfig config;
  config.source = where;
  config.server = Scalar(cluster, "server");
  if (config.server.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: cluster \"{}\" has no server", where, cluster_name));
  }
  config.insecure_skip_tls_verify = Scalar(cluster, "insecure-skip-tls-verify") == "true";
  config.tls_server_name = Scalar(cluster, "tls-server-name");
  config.proxy_url = Scalar(cluster, "proxy-url");
  if (!config.proxy_url.empty() && !config.proxy_url.starts_with("http://") &&
      !config.proxy_url.starts_with("https://") && !config.proxy_url.starts_with("socks5://")) {
    return absl::InvalidArgumentError(
        fmt::format("{}: cluster \"{}\": proxy-url must be http://, https:// or socks5://", where,
                    cluster_name));
  }
  config.ca_file = Resolve(base_dir, Scalar(cluster, "certificate-authority"));
  ASSIGN_OR_RETURN(config.ca_pem, Data(cluster, "certificate-authority-data", where));

  const std::string user_name = Scalar(context, "user");
  if (user_name.empty()) return config;
  const Entry* found_user = Named(merged.users, user_name);
  if (!found_user) {
    return absl::NotFoundError(
        fmt::format("{}: user \"{}\" of context \"{}\" not found", where, user_name, context_name));
  }
  const YAML::Node& user = found_user->node;
  base_dir = found_user->base_dir;
  if (user["auth-provider"]) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: user \"{}\" uses an auth-provider, which kubectl removed in 1.26; use an exec "
        "credential plugin (e.g. kubelogin, gke-gcloud-auth-plugin) instead",
        where, user_name));
  }
  if (user["exec"]) {
    ASSIGN_OR_RETURN(config.exec, ParseExec(user["exec"], base_dir, where, user_name));
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
  config.username = Scalar(user, "username");
  config.password = common::Secret(Scalar(user, "password"));
  return config;
}

}  // namespace

std::vector<std::string> SplitKubeconfigList(std::string_view list) {
  std::vector<std::string> paths;
  for (std::string_view rest = list; !rest.empty();) {
    const size_t colon = rest.find(':');
    const std::string_view path = rest.substr(0, colon);
    if (!path.empty() && std::find(paths.begin(), paths.end(), path) == paths.end()) {
      paths.emplace_back(path);
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return paths;
}

namespace {

// Reads and merges `paths` in order; a missing file is skipped only when `skip_missing`.
using TextOf = std::function<absl::StatusOr<std::string>(const std::string& path)>;

absl::StatusOr<RestConfig> LoadMerged(const std::vector<std::string>& paths,
                                      const std::string& where_paths, const std::string& context,
                                      bool skip_missing, const TextOf& text_of) {
  if (paths.size() > kMaxKubeconfigFiles) {
    return absl::InvalidArgumentError(
        fmt::format("KUBECONFIG lists {} files, more than {}; name fewer files", paths.size(),
                    kMaxKubeconfigFiles));
  }
  Merged merged;
  size_t total_bytes = 0;
  size_t read_files = 0;
  for (const std::string& path : paths) {
    auto text = text_of(path);
    if (skip_missing && absl::IsNotFound(text.status())) continue;
    if (!text.ok()) return text.status();
    total_bytes += text->size();
    if (total_bytes > kMaxKubeconfigBytes) {
      return absl::InvalidArgumentError(
          fmt::format("kubeconfig {}: the files together are larger than {} bytes; refusing them",
                      where_paths, kMaxKubeconfigBytes));
    }
    auto parsed = common::ParseYamlBounded(*text, kMaxKubeconfigBytes, kMaxKubeconfigDepth,
                                           "kubeconfig " + path);
    if (!parsed.ok()) return parsed.status();
    const YAML::Node root = *parsed;
    // An empty file is an empty config, as kubectl reads it.
    if (root.IsNull()) {
      ++read_files;
      continue;
    }
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(fmt::format("kubeconfig {}: expected a mapping", path));
    }
    try {
      MergeFile(root, path, merged);
    } catch (const YAML::Exception& error) {
      return absl::InvalidArgumentError(fmt::format("kubeconfig {}: {}", path, error.what()));
    }
    ++read_files;
  }
  if (read_files == 0) {
    return absl::NotFoundError(fmt::format(
        "kubeconfig {}: none of these files exists; set KUBECONFIG or give --kubeconfig",
        where_paths));
  }
  try {
    return Parse(merged, where_paths, context);
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(fmt::format("kubeconfig {}: {}", where_paths, error.what()));
  }
}

absl::StatusOr<std::string> ReadKubeconfigFile(const std::string& path) {
  return ReadFile(path, "kubeconfig", kMaxKubeconfigBytes);
}

}  // namespace

absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  return LoadMerged({path}, path, context, /*skip_missing=*/false, ReadKubeconfigFile);
}

absl::StatusOr<RestConfig> LoadKubeconfigList(const std::string& list, const std::string& context) {
  return LoadMerged(SplitKubeconfigList(list), list, context, /*skip_missing=*/true,
                    ReadKubeconfigFile);
}

absl::StatusOr<RestConfig> ParseKubeconfig(const std::string& text, const std::string& path,
                                           const std::string& context) {
  if (text.size() > kMaxKubeconfigBytes) {
    return absl::InvalidArgumentError(
        fmt::format("kubeconfig {}: larger than {} bytes; refusing it", path, kMaxKubeconfigBytes));
  }
  return LoadMerged({path}, path, context, /*skip_missing=*/false,
                    [&](const std::string&) -> absl::StatusOr<std::string> { return text; });
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
