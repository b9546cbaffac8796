// Verifies that the images a release needs are in the registry before the upgrade is
// triggered (upgrade.sh --skip-sync-image; skipped with --skip-check-artifacts).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/registry_client.h"

namespace upgrade {

// The images ("repository:tag" or "repository@sha256:...") the registry does not hold.
absl::StatusOr<std::vector<std::string>> MissingImages(registry::RegistryClient& client,
                                                       const std::vector<std::string>& images);

}  // namespace upgrade
