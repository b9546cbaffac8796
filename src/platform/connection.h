// How our tools reach a cluster of the platform: a kubeconfig of the global cluster, or the
// platform's address and credentials. One discovery rule and one meaning for a cluster name,
// for violet, the upgrade tools and the DR runbook.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/secret.h"
#include "k8s/rest_config.h"

namespace platform {

struct Connection {
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

// The kubeconfig used when no platform address is given: --kubeconfig, else $KUBECONFIG,
// (a list "a:b", merged as kubectl merges it), else ~/.kube/config when that file exists;
// "" when there is none.
std::string KubeconfigPath(const Connection& connection);

// InvalidArgument (naming the flags) when there is nothing to talk to: no platform address
// and no kubeconfig by the rule above.
absl::Status RequireConnection(const Connection& connection);

// The REST config for `cluster`. "global" (or "") is the kubeconfig's cluster, or
// <address>/kubernetes/global; any other name is reached through the platform's proxy,
// <kubeconfig server>/kubernetes/<name> or <address>/kubernetes/<name>. A name that is not a
// DNS label, a missing token or conflicting credentials are one-line InvalidArgument errors.
absl::StatusOr<k8s::RestConfig> ConfigForCluster(const Connection& connection,
                                                 std::string_view cluster);

// "https://host[:port][/path]" with an IPv4, a DNS name or a bracketed IPv6 literal; a
// bare host gets https://. Trailing slashes are dropped. Errors name `flag`.
absl::StatusOr<std::string> NormalizePlatformAddress(const std::string& address,
                                                     const std::string& flag);

}  // namespace platform
