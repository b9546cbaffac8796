// How list/gc/push report a failed request to the platform: one line, and the exit code
// (credentials refused: 4, anything else: 1).
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "k8s/platform_connection.h"

namespace violet {

// InvalidArgument when there is nothing to talk to: no --platform-address, no --kubeconfig,
// no $KUBECONFIG and no ~/.kube/config.
absl::Status RequirePlatform(const k8s::PlatformConnection& connection);

int ReportPlatformError(const absl::Status& status, const k8s::PlatformConnection& connection,
                        std::ostream& err);

}  // namespace violet
