// The stream a main hands an engine for its operator-facing lines (warnings, failures): stderr
// itself under --log-format text, and under json a stream that turns each line into one JSON
// log line, so `--log-format json` never mixes plain text into the log.
#pragma once

#include <ostream>

#include "cli/app.h"

namespace cli {

// Valid for the life of the process. Not for concurrent writers (engines write their
// report lines from one thread). Lines are logged at `warn` level (they report trouble);
// a line is logged when its newline comes (engines end every line with one).
std::ostream& ReportStream(const LogFlags& log);

}  // namespace cli
