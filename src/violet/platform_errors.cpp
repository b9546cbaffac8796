#include "violet/platform_errors.h"

#include <cstdlib>
#include <filesystem>

namespace violet {

absl::Status RequirePlatform(const k8s::PlatformConnection& connection) {
  if (!connection.platform_address.empty() || !connection.kubeconfig.empty()) {
    return absl::OkStatus();
  }
  const char* env = std::getenv("KUBECONFIG");
  const char* home = std::getenv("HOME");
  std::error_code error;
  if ((env && *env) ||
      (home && std::filesystem::exists(std::string(home) + "/.kube/config", error))) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "no platform to talk to: give --platform-address with --platform-token (or "
      "--platform-username/--platform-password), or --kubeconfig");
}

}  // namespace violet
