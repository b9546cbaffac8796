#include "upgrade/registry_resolution.h"

namespace upgrade {

absl::StatusOr<platform::Registry> ResolveRegistry(const RegistryFlags& flags,
                                                   k8s::RestClient* global) {
  if (!flags.registry.empty()) {
    platform::Registry given;
    given.address = flags.registry;
    given.username = flags.username;
    given.where_from = "--registry";
    return given;
  }
  if (global == nullptr) {
    return absl::InvalidArgumentError(
        "no --registry and no cluster to read it from: pass --registry or --kubeconfig");
  }
  auto platform = platform::ReadRegistry(*global);
  if (!platform.ok()) return platform.status();
  if (!flags.username.empty()) {
    platform->username = flags.username;
    platform->password = common::Secret();
  }
  return platform;
}

}  // namespace upgrade
