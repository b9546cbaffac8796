#include "violet/platform_errors.h"

#include <cstdlib>
#include <filesystem>

#include "common/absl_fmt.h"
#include "violet/exit_codes.h"

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

int ReportPlatformError(const absl::Status& status, const k8s::PlatformConnection& connection,
                        std::ostream& err) {
  if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
    err << "violet: the platform refused the credentials (" << common::View(status.message())
        << "); "
        << (connection.platform_token.empty()
                ? "check --platform-username/--platform-password (IdP users need "
                  "--platform-token)"
                : "check --platform-token (Profile > API Tokens)")
        << "\n";
    return kExitAuthRefused;
  }
  err << "violet: " << common::View(status.message()) << "\n";
  return absl::IsInvalidArgument(status) ? kExitUsage : kExitFailed;
}

}  // namespace violet
