#include "registry/credential_chain.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace registry {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

CredentialSearch CredentialSearch::FromEnvironment(const std::string& authfile_flag) {
  CredentialSearch search;
  search.authfile = authfile_flag.empty() ? Env("REGISTRY_AUTH_FILE") : authfile_flag;
  search.authfile_from_flag = !authfile_flag.empty();
  search.runtime_dir = Env("XDG_RUNTIME_DIR");
  if (search.runtime_dir.empty()) search.runtime_dir = fmt::format("/run/containers/{}", getuid());
  const std::string home = Env("HOME");
  search.config_home = Env("XDG_CONFIG_HOME");
  if (search.config_home.empty() && !home.empty()) search.config_home = home + "/.config";
  search.docker_config = Env("DOCKER_CONFIG");
  if (search.docker_config.empty() && !home.empty()) search.docker_config = home + "/.docker";
  search.helpers.path = Env("PATH");
  return search;
}

std::vector<std::string> CredentialSearch::AuthFiles() const {
  std::vector<std::string> files;
  const auto add = [&](const std::string& file) {
    if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  };
  if (!authfile.empty()) add(authfile);
  if (!runtime_dir.empty()) add(runtime_dir + "/containers/auth.json");
  if (!config_home.empty()) add(config_home + "/containers/auth.json");
  if (!docker_config.empty()) add(docker_config + "/config.json");
  return files;
}

absl::StatusOr<std::optional<FoundCredentials>> FindRegistryCredentials(
    const std::string& registry_host, const CredentialSearch& search) {
  if (!search.authfile.empty()) {
    std::error_code error;
    if (!std::filesystem::exists(search.authfile, error)) {
      return absl::InvalidArgumentError(fmt::format(
          "{} {} does not exist — name an existing auth file (podman login --authfile writes one)",
          search.authfile_from_flag ? "--authfile" : "$REGISTRY_AUTH_FILE", search.authfile));
    }
  }
  for (const std::string& file : search.AuthFiles()) {
    auto found = LookupAuthFile(file, registry_host, search.helpers);
    if (!found.ok() || found->has_value()) return found;
  }
  return std::optional<FoundCredentials>();
}

}  // namespace registry
