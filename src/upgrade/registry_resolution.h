// Which registry upgrade.sh syncs into and triggers from, and with which credentials
// (acp-spec.md §3), end to end: --registry, else the platform's, else upgrade.conf.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "k8s/rest_client.h"
#include "platform/registry.h"
#include "registry/credential_chain.h"

namespace upgrade {

// upgrade.conf holds a line or two: a bigger file is refused unread.
inline constexpr size_t kMaxUpgradeConfBytes = 64 << 10;

// The credentials as the operator gave them; the password never travels in argv.
struct GivenCredentials {
  std::string username;     // --username
  common::Secret password;  // --password (by environment) or --password-stdin
  bool password_given = false;
  common::Secret base64_pair;  // --target-creds: base64 of "user:password" (by environment)
};

// The one username/password pair the flags mean, or InvalidArgument naming the flags:
// --target-creds with --username, --target-creds not base64 of user:password, a password
// without --username, --username without a password. Empty: none given (the platform's, or
// anonymous). Messages never quote a secret.
absl::StatusOr<GivenCredentials> CheckCredentials(const GivenCredentials& given);

// The registry named by upgrade.conf's text: the first `registry: host[:port]` line (CRLF
// line ends, a `# comment` line or tail, and quotes around the value are fine). `name` (the
// file) begins every error: no such line, a value that is not host[:port] (a scheme, a path,
// spaces, control characters), two lines that disagree. One line, InvalidArgument.
absl::StatusOr<std::string> ParseUpgradeConf(std::string_view text, const std::string& name);
// The same, read from `path` (a regular file of at most kMaxUpgradeConfBytes).
absl::StatusOr<std::string> ReadUpgradeConf(const std::string& path);

struct RegistryRequest {
  std::string registry;          // --registry ("" : resolve it)
  GivenCredentials credentials;  // after CheckCredentials
  std::string config_file;       // upgrade.conf ($UPGRADE_CONFIG, default beside upgrade.sh)
  // Where a `docker login` / `podman login` is looked for (registry/credential_chain.h) when
  // neither --username nor the platform's Secret gives credentials; an --authfile given by
  // flag wins over the Secret. Default: nowhere.
  registry::CredentialSearch logins;
};

struct RegistryChoice {
  platform::Registry registry;  // address, external, credentials, where_from
  // Set when the cluster could not be read and upgrade.conf was used instead: the cause.
  std::string warning;
  // Set when the credentials came from a login: where ("auth file ~/.docker/config.json").
  std::string credentials_from;
};

// --registry wins (credentials from the flags, else a login). Without it, the platform's registry
// is read through `global` (nullptr: no cluster configured); its credentials (Secret
// registry-admin) are used only when no --username was given. When there is no cluster, or
// it cannot be read and the config file exists, the config file names the registry.
// The credentials are then resolved once, for every step (image-sync, violet, the artifact
// check): --username, else the platform's Secret (unless --authfile), else `logins`.
// Errors: InvalidArgument (flags, config file, a broken auth file: exit 2), Unauthenticated
// (the cluster refused the credentials, a credential helper is missing or failed: 4),
// Unavailable (the cluster unreachable or its answer unusable: 6).
absl::StatusOr<RegistryChoice> ResolveRegistry(const RegistryRequest& request,
                                               k8s::RestClient* global);

}  // namespace upgrade
