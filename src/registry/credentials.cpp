#include "registry/credentials.h"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/untrusted_text.h"

namespace registry {
namespace {

// Strips "https://" and any path: "https://reg:5000/v1/" -> "reg:5000".
std::string HostOf(std::string key) {
  if (const size_t scheme = key.find("://"); scheme != std::string::npos) {
    key = key.substr(scheme + 3);
  }
  if (const size_t slash = key.find('/'); slash != std::string::npos) key.resize(slash);
  return key;
}

}  // namespace

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

absl::StatusOr<std::optional<Credentials>> LookupAuthFile(const std::string& path,
                                                          const std::string& registry_host) {
  const std::string what = "auth file " + path;
  auto text = common::ReadRegularFile(path, kMaxAuthFileBytes, what);
  if (absl::IsNotFound(text.status())) return std::optional<Credentials>();
  absl::StatusOr<nlohmann::json> config =
      text.ok()
          ? common::ParseJsonBounded(*text, kMaxAuthFileBytes, common::kDefaultMaxJsonDepth, what)
          : absl::StatusOr<nlohmann::json>(text.status());
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{} — fix it or pass --username", common::View(config.status().message())));
  }
  if (!config->is_object() || !config->contains("auths") || !(*config)["auths"].is_object())
    return std::optional<Credentials>();
  const auto string_at = [](const nlohmann::json& entry, const char* key) -> const std::string* {
    return entry.contains(key) && entry[key].is_string() ? entry[key].get_ptr<const std::string*>()
                                                         : nullptr;
  };
  for (const auto& [key, entry] : (*config)["auths"].items()) {
    if (HostOf(key) != registry_host || !entry.is_object()) continue;
    if (const std::string* auth = string_at(entry, "auth"); auth != nullptr && !auth->empty()) {
      auto decoded = DecodeBase64Credentials(*auth);
      if (!decoded.ok()) {
        return absl::InvalidArgumentError(fmt::format(
            "{}: the entry for {} has a malformed \"auth\" value", what, common::Clip(key)));
      }
      return std::optional<Credentials>(*std::move(decoded));
    }
    const std::string* username = string_at(entry, "username");
    const std::string* password = string_at(entry, "password");
    if (username != nullptr && password != nullptr) {
      return std::optional<Credentials>(Credentials{*username, common::Secret(*password)});
    }
    if (entry.contains("username") && entry.contains("password")) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: the entry for {} needs \"username\" and \"password\" as strings — fix it or pass "
          "--username",
          what, common::Clip(key)));
    }
  }
  return std::optional<Credentials>();
}

std::string DefaultAuthFile() {
  if (const char* file = std::getenv("REGISTRY_AUTH_FILE"); file && *file) return file;
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.docker/config.json";
  }
  return "";
}

}  // namespace registry
