// Process-wide logging setup: one plain line per event, to stderr, so that operators can
// grep for the documented lines ("Acquired leader lease", "Start Sync update").
#pragma once

#include <spdlog/spdlog.h>

namespace common {

// verbose: also emit debug lines (the operator's "print detail logs" switch).
void InitLogging(bool verbose);

}  // namespace common
