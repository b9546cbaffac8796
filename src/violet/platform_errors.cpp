#include "violet/platform_errors.h"

#include "common/absl_fmt.h"
#include "violet/exit_codes.h"

namespace violet {

int ReportPlatformError(const absl::Status& status, const platform::Connection& connection,
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
