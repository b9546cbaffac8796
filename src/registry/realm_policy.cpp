#include "registry/realm_policy.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "common/untrusted_text.h"

namespace registry {
namespace {

struct ParsedUrl {
  std::string scheme, host, port;
  bool has_user = false;
};

std::optional<ParsedUrl> Parse(const std::string& url) {
  CURLU* handle = curl_url();
  std::optional<ParsedUrl> parsed;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    char* user = nullptr;
    curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(handle, CURLUPART_HOST, &host, 0);
    curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    const bool has_user = curl_url_get(handle, CURLUPART_USER, &user, 0) == CURLUE_OK;
    if (scheme != nullptr && host != nullptr && port != nullptr && host[0] != '\0') {
      parsed =
          ParsedUrl{absl::AsciiStrToLower(scheme), absl::AsciiStrToLower(host), port, has_user};
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
  }
  curl_url_cleanup(handle);
  return parsed;
}

}  // namespace

std::string Origin(const std::string& url) {
  const std::optional<ParsedUrl> parsed = Parse(url);
  return parsed ? fmt::format("{}://{}:{}", parsed->scheme, parsed->host, parsed->port) : "";
}

absl::Status CredentialsMayGoToRealm(const std::string& registry_url, const std::string& realm_url,
                                     bool plain_allowed) {
  // Only an absolute URL: curl would read a scheme-less realm as http:// on any host.
  const bool absolute = absl::AsciiStrToLower(realm_url.substr(0, 8)).starts_with("https://") ||
                        absl::AsciiStrToLower(realm_url.substr(0, 7)).starts_with("http://");
  const std::optional<ParsedUrl> realm = absolute ? Parse(realm_url) : std::nullopt;
  if (!realm || realm->has_user) {
    return absl::InvalidArgumentError(fmt::format(
        "its token realm \"{}\" is not an http(s) URL without user info", common::Clip(realm_url)));
  }
  const std::optional<ParsedUrl> registry = Parse(registry_url);
  if (!registry) {
    return absl::InvalidArgumentError(
        fmt::format("\"{}\" is not a registry URL", common::Clip(registry_url)));
  }
  const std::string where = fmt::format("{}://{}:{}", realm->scheme, realm->host, realm->port);
  if (realm->scheme == "https") return absl::OkStatus();
  if (registry->scheme == "https") {
    return absl::PermissionDeniedError(fmt::format(
        "its token service {} is plain HTTP while the registry is HTTPS; refusing to send "
        "credentials there — have the registry name an https:// token realm",
        common::Clip(where)));
  }
  if (!plain_allowed) {
    return absl::PermissionDeniedError(fmt::format(
        "its token service {} is plain HTTP; refusing to send credentials there without --plain",
        common::Clip(where)));
  }
  if (realm->host != registry->host) {
    return absl::PermissionDeniedError(fmt::format(
        "its token service {} is plain HTTP on another host than the registry; refusing to send "
        "credentials there — have the registry name an https:// token realm",
        common::Clip(where)));
  }
  return absl::OkStatus();
}

}  // namespace registry
