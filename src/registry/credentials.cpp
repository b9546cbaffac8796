#include "registry/credentials.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/untrusted_text.h"
#include "registry/credential_helper.h"

namespace registry {
namespace {

constexpr std::string_view kDockerHub = "docker.io";
constexpr std::string_view kDockerHubServerUrl = "https://index.docker.io/v1/";

const std::string* StringAt(const nlohmann::json& entry, const char* key) {
  return entry.is_object() && entry.contains(key) && entry[key].is_string()
             ? entry[key].get_ptr<const std::string*>()
             : nullptr;
}

// What a helper is asked for: Docker Hub by its legacy URL (as docker login stores it),
// every other registry by host[:port].
std::string ServerUrlFor(const std::string& host) {
  return host == kDockerHub ? std::string(kDockerHubServerUrl) : host;
}

}  // namespace

std::string NormalizeRegistryKey(std::string_view key) {
  if (const size_t scheme = key.find("://"); scheme != std::string_view::npos) {
    key = key.substr(scheme + 3);
  }
  if (const size_t slash = key.find('/'); slash != std::string_view::npos) {
    key = key.substr(0, slash);
  }
  std::string host(key);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host == "index.docker.io" || host == "registry-1.docker.io") return std::string(kDockerHub);
  return host;
}

absl::StatusOr<Credentials> DecodeBase64Credentials(std::string_view base64) {
  std::string input(base64);
  while (!input.empty() && (input.back() == '\n' || input.back() == '\r' || input.back() == ' ')) {
    input.pop_back();
  }
  const auto invalid = absl::InvalidArgumentError(
      "credentials are not base64 of \"user:password\" — encode them with "
      "`printf %s user:password | base64 -w0`");
  auto decoded_or = common::DecodeBase64(input);
  if (input.empty() || !decoded_or) return invalid;
  const std::string decoded = *std::move(decoded_or);
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0) return invalid;
  return Credentials{decoded.substr(0, colon), common::Secret(decoded.substr(colon + 1))};
}

absl::StatusOr<std::optional<FoundCredentials>> LookupAuthFile(const std::string& path,
                                                               const std::string& registry_host,
                                                               const HelperOptions& helpers) {
  using Found = std::optional<FoundCredentials>;
  const std::string what = "auth file " + path;
  auto text = common::ReadRegularFile(path, kMaxAuthFileBytes, what);
  if (absl::IsNotFound(text.status())) return Found();
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{} — fix it or pass --username", common::View(text.status().message())));
  }
  return LookupAuthFileText(*text, path, registry_host, helpers);
}

absl::StatusOr<std::optional<FoundCredentials>> LookupAuthFileText(const std::string& text,
                                                                   const std::string& path,
                                                                   const std::string& registry_host,
                                                                   const HelperOptions& helpers) {
  using Found = std::optional<FoundCredentials>;
  const std::string what = "auth file " + path;
  absl::StatusOr<nlohmann::json> config =
      common::ParseJsonBounded(text, kMaxAuthFileBytes, common::kDefaultMaxJsonDepth, what);
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{} — fix it or pass --username", common::View(config.status().message())));
  }
  if (!config->is_object()) return Found();
  const std::string host = NormalizeRegistryKey(registry_host);
  const auto ask_helper = [&](const std::string& name,
                              const std::string& role) -> absl::StatusOr<Found> {
    auto answer = GetFromCredentialHelper(name, ServerUrlFor(host), registry_host, helpers);
    if (!answer.ok()) {
      return absl::Status(
          answer.status().code(),
          fmt::format("{} ({} of {})", common::View(answer.status().message()), role, path));
    }
    if (!answer->has_value()) return Found();
    return Found(FoundCredentials{
        **std::move(answer), fmt::format("docker-credential-{} ({} of {})", name, role, path)});
  };

  // credHelpers: this registry's own helper; its "not found" is the file's answer (docker).
  if (config->contains("credHelpers") && (*config)["credHelpers"].is_object()) {
    for (const auto& [key, name] : (*config)["credHelpers"].items()) {
      if (NormalizeRegistryKey(key) != host || !name.is_string()) continue;
      return ask_helper(name.get<std::string>(), "credHelpers");
    }
  }
  // credsStore: the default helper for every registry; when it has nothing, the auths below.
  if (const std::string* store = StringAt(*config, "credsStore"); store && !store->empty()) {
    auto found = ask_helper(*store, "credsStore");
    if (!found.ok() || found->has_value()) return found;
  }
  if (!config->contains("auths") || !(*config)["auths"].is_object()) return Found();
  for (const auto& [key, entry] : (*config)["auths"].items()) {
    if (NormalizeRegistryKey(key) != host || !entry.is_object()) continue;
    const auto found = [&](Credentials credentials) {
      return Found(FoundCredentials{std::move(credentials), what});
    };
    if (const std::string* token = StringAt(entry, "identitytoken"); token && !token->empty()) {
      return found(Credentials{std::string(kIdentityTokenUsername), common::Secret(*token)});
    }
    if (const std::string* auth = StringAt(entry, "auth"); auth != nullptr && !auth->empty()) {
      auto decoded = DecodeBase64Credentials(*auth);
      if (!decoded.ok()) {
        return absl::InvalidArgumentError(fmt::format(
            "{}: the entry for {} has a malformed \"auth\" value", what, common::Clip(key)));
      }
      return found(*std::move(decoded));
    }
    const std::string* username = StringAt(entry, "username");
    const std::string* password = StringAt(entry, "password");
    if (username != nullptr && password != nullptr) {
      return found(Credentials{*username, common::Secret(*password)});
    }
    if (entry.contains("username") && entry.contains("password")) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: the entry for {} needs \"username\" and \"password\" as strings — fix it or pass "
          "--username",
          what, common::Clip(key)));
    }
  }
  return Found();
}

absl::StatusOr<std::optional<FoundCredentials>> LookupAuthFile(const std::string& path,
                                                               const std::string& registry_host) {
  HelperOptions helpers;
  if (const char* search = std::getenv("PATH")) helpers.path = search;
  return LookupAuthFile(path, registry_host, helpers);
}

}  // namespace registry
