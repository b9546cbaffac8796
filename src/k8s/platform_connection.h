// How our commands reach a cluster: a kubeconfig (the cluster it points at), or the
// platform's address and API token, through which every cluster is reached at
// <address>/kubernetes/<cluster> (the platform's proxy). One flag set for violet and ac.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "k8s/rest_config.h"

namespace k8s {

struct PlatformConnection {
  std::string platform_address;  // "https://acp.example.com", "https://[fd00::10]:8443"
  common::Secret platform_token;
  // Or a local user's name and password (HTTP Basic on the proxy); never with a token.
  std::string platform_username;
  common::Secret platform_password;
  std::string kubeconfig;  // used when no platform address is given
  std::string context;
  std::string ca_file;  // CA for the platform address (default: the system's)
  bool insecure_skip_tls_verify = false;
  // Name of the flag (or input) the address came from, for error messages.
  std::string address_flag = "--platform-address";
};

// The REST config for `cluster`. With a platform address: the proxy path and the token
// (a missing token is an error naming the flag). With a kubeconfig: its current cluster,
// whatever `cluster` says (the kubeconfig is the cluster). One-line errors.
absl::StatusOr<RestConfig> ConfigForCluster(const PlatformConnection& connection,
                                            const std::string& cluster);

// "https://host[:port][/path]" with an IPv4, a DNS name or a bracketed IPv6 literal; a
// bare host gets https://. Trailing slashes are dropped. Errors name `flag`.
absl::StatusOr<std::string> NormalizePlatformAddress(const std::string& address,
                                                     const std::string& flag);

}  // namespace k8s
