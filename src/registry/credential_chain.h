// Where registry credentials are looked for when none are given by flag, in podman's and
// skopeo's order: --authfile / $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
// ~/.config/containers/auth.json, ~/.docker/config.json; the first file with an entry wins.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/credential_helper.h"
#include "registry/credentials.h"

namespace registry {

struct CredentialSearch {
  std::string authfile;             // --authfile, else $REGISTRY_AUTH_FILE ("" : none)
  bool authfile_from_flag = false;  // names --authfile (not the variable) in messages
  std::string runtime_dir;          // $XDG_RUNTIME_DIR, else /run/containers/<uid> (podman's)
  std::string config_home;          // $XDG_CONFIG_HOME, else ~/.config
  std::string docker_config;        // $DOCKER_CONFIG, else ~/.docker
  HelperOptions helpers;            // $PATH for docker-credential-<name>

  // From this process's environment; `authfile_flag` ("" : not given) wins over the variable.
  static CredentialSearch FromEnvironment(const std::string& authfile_flag);
  // The files in the order they are searched (duplicates dropped).
  std::vector<std::string> AuthFiles() const;
};

// The first credentials for `registry_host` in the search's files (LookupAuthFile on each).
// nullopt when none has an entry. Errors (one line, never a secret): InvalidArgument when the
// named --authfile / $REGISTRY_AUTH_FILE does not exist or a file is broken; Unauthenticated
// when a credential helper a file names is missing or fails.
absl::StatusOr<std::optional<FoundCredentials>> FindRegistryCredentials(
    const std::string& registry_host, const CredentialSearch& search);

}  // namespace registry
