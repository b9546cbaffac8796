// Registry credentials and where they come from: flags, the legacy base64 "user:pass"
// (--target-creds), or a Docker/Podman auth file (~/.docker/config.json, $REGISTRY_AUTH_FILE).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace registry {

struct Credentials {
  std::string username;
  common::Secret password;
  bool empty() const { return username.empty(); }
};

// "dXNlcjpwYXNz" -> {user, pass}; errors never echo the input.
absl::StatusOr<Credentials> DecodeBase64Credentials(std::string_view base64);

// A docker config.json holds a few entries: at most this much is read, nested at most
// common::kDefaultMaxJsonDepth.
inline constexpr size_t kMaxAuthFileBytes = 1 << 20;

// Looks `registry_host` ("host:port") up in an auth file's "auths" map (keys may carry a
// scheme or path). nullopt when the file is missing or has no entry; error (one line, never
// quoting the file) when it is no regular file, too large, too deep or cannot be parsed.
absl::StatusOr<std::optional<Credentials>> LookupAuthFile(const std::string& path,
                                                          const std::string& registry_host);

// $REGISTRY_AUTH_FILE if set, else ~/.docker/config.json ("" when neither can be named).
std::string DefaultAuthFile();

}  // namespace registry
