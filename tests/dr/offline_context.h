// A DR context whose clusters are unreachable (a closed local port): for tests of plans,
// the runner and steps that must not, or cannot, reach a cluster.
#pragma once

#include <memory>
#include <ostream>

#include "dr/dr_context.h"

namespace dr {

inline std::unique_ptr<DrContext> OfflineContext(std::ostream& out, DrOptions options = {}) {
  k8s::RestConfig nowhere;
  nowhere.server = "https://127.0.0.1:1";
  return std::make_unique<DrContext>(std::move(options), ClusterAccess{"primary", nowhere, ""},
                                     ClusterAccess{"standby", nowhere, ""}, out);
}

}  // namespace dr
