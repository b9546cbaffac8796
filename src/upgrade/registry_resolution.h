// Which registry upgrade.sh syncs into and triggers from (acp-spec.md §3): --registry as
// given, else the platform's (ProductBase base, the global VIP, Secret registry-admin).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"
#include "platform/registry.h"

namespace upgrade {

struct RegistryFlags {
  std::string registry;  // --registry
  std::string username;  // --username (its password comes separately, never in argv)
};

// --registry wins (credentials only from the flags); without it the platform's registry
// is read through `global` (nullptr: no cluster configured -> error naming --registry).
// Platform credentials are used only when no --username was given.
absl::StatusOr<platform::Registry> ResolveRegistry(const RegistryFlags& flags,
                                                   k8s::RestClient* global);

}  // namespace upgrade
