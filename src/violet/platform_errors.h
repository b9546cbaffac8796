// How list/gc/push report a failed request to the platform: one line, and the exit code
// (credentials refused: 4, anything else: 1).
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "platform/connection.h"

namespace violet {

int ReportPlatformError(const absl::Status& status, const platform::Connection& connection,
                        std::ostream& err);

}  // namespace violet
