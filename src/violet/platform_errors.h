// Whether list/gc/push have a platform to talk to (failure.h says how a failed request to it
// is reported).
#pragma once

#include "absl/status/status.h"
#include "k8s/platform_connection.h"

namespace violet {

// InvalidArgument when there is nothing to talk to: no --platform-address, no --kubeconfig,
// no $KUBECONFIG and no ~/.kube/config.
absl::Status RequirePlatform(const k8s::PlatformConnection& connection);

}  // namespace violet
