// Where the platform keeps its images (acp-spec.md §3 "Registry resolution"): ProductBase
// `base` spec.registry on the global cluster, the built-in registry's address from the global
// VIP, credentials from Secret cpaas-system/registry-admin. Shared by violet and upgrade.sh.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "k8s/rest_client.h"

namespace platform {

// The built-in registry listens on this port behind the cluster's VIP (§8.2).
inline constexpr int kBuiltInRegistryPort = 11443;

struct Registry {
  std::string address;    // "10.0.0.10:11443", "harbor.example.com"
  bool external = false;  // an operator-run registry: upgrade.sh does not sync into it
  std::string username;   // from Secret cpaas-system/registry-admin when it exists
  common::Secret password;
  std::string where_from;  // "ProductBase base spec.registry.address", for messages
};

// Reads ProductBase `base`; for the built-in registry (not external) the address is
// <global VIP>:11443, the VIP from Cluster `global` (spec.features.ha.thirdParty.vip or
// spec.features.ha.tke.vip), falling back to spec.registry.address. Credentials are read
// only when the Secret exists (an anonymous registry has none). One-line errors.
absl::StatusOr<Registry> ReadRegistry(k8s::RestClient& global);

}  // namespace platform
