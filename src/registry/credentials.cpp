#include "registry/credentials.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/base64.h"

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
  std::ifstream in(path);
  if (!in) return std::optional<Credentials>();
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(
        fmt::format("auth file {} is not valid JSON — fix it or pass --username", path));
  }
  if (!config.contains("auths") || !config["auths"].is_object())
    return std::optional<Credentials>();
  for (const auto& [key, entry] : config["auths"].items()) {
    if (HostOf(key) != registry_host || !entry.is_object()) continue;
    if (entry.contains("auth") && entry["auth"].is_string() &&
        !entry["auth"].get<std::string>().empty()) {
      auto decoded = DecodeBase64Credentials(entry["auth"].get<std::string>());
      if (!decoded.ok()) {
        return absl::InvalidArgumentError(fmt::format(
            "auth file {}: the entry for {} has a malformed \"auth\" value", path, key));
      }
      return std::optional<Credentials>(*std::move(decoded));
    }
    if (entry.contains("username") && entry.contains("password")) {
      return std::optional<Credentials>(
          Credentials{entry["username"].get<std::string>(),
                      common::Secret(entry["password"].get<std::string>())});
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
