// Registry credentials and where one auth file holds them: the legacy base64 "user:pass"
// (--target-creds), and a Docker/Podman auth file's credHelpers, credsStore and auths
// (credential_chain.h searches the files in podman's order).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace registry {

struct HelperOptions;

// docker-credential-helpers' convention, kept end to end: this username makes the password
// an identity token (an OAuth2 refresh token traded at the registry's token realm).
inline constexpr std::string_view kIdentityTokenUsername = "<token>";

struct Credentials {
  std::string username;
  common::Secret password;  // or, with username "<token>", the identity token
  bool empty() const { return username.empty(); }
  bool identity_token() const { return username == kIdentityTokenUsername; }
};

// Credentials and a description of where they were found, for the log ("auth file X",
// "docker-credential-pass (credsStore of X)"); never the secret.
struct FoundCredentials {
  Credentials credentials;
  std::string source;
};

// "dXNlcjpwYXNz" -> {user, pass}; errors never echo the input.
absl::StatusOr<Credentials> DecodeBase64Credentials(std::string_view base64);

// A docker config.json holds a few entries: at most this much is read, nested at most
// common::kDefaultMaxJsonDepth.
inline constexpr size_t kMaxAuthFileBytes = 1 << 20;

// "https://Reg:5000/v1/" -> "reg:5000"; "index.docker.io", "registry-1.docker.io" ->
// "docker.io" (Docker Hub's aliases). Auth file keys and registry hosts compare this way.
std::string NormalizeRegistryKey(std::string_view key);

// Looks `registry_host` ("host:port") up in one auth file, as docker does: credHelpers[host]
// (its helper, docker-credential-<name>), then credsStore (the default helper), then
// auths[host] ("identitytoken", "auth" = base64 user:pass, or "username"/"password"). Keys
// may carry a scheme or a path. nullopt when the file is missing or has no entry (a helper
// saying "not found" is no entry); errors are one line and never quote the file:
// InvalidArgument when it is no regular file, too large, too deep or cannot be parsed;
// Unauthenticated when a helper it names is missing or fails (credential_helper.h).
absl::StatusOr<std::optional<FoundCredentials>> LookupAuthFile(const std::string& path,
                                                               const std::string& registry_host,
                                                               const HelperOptions& helpers);
// The same on the file's text (`path` names it in messages): the fuzzers' entry point.
absl::StatusOr<std::optional<FoundCredentials>> LookupAuthFileText(const std::string& text,
                                                                   const std::string& path,
                                                                   const std::string& registry_host,
                                                                   const HelperOptions& helpers);
// The same with the helpers found on $PATH.
absl::StatusOr<std::optional<FoundCredentials>> LookupAuthFile(const std::string& path,
                                                               const std::string& registry_host);

}  // namespace registry
