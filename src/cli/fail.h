// The one way a main reports the failure it exits with: one bounded line on stderr,
// "<tool>: <line>" (a JSON log line under --log-format json), and the exit code returned.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cli {

// Names the tool for Fail, --version and the logs; the first thing a main does. `fail_prefix`
// (default: the name) starts Fail's lines: upgrade-core speaks as "upgrade.sh", its caller.
void SetToolName(std::string_view name, std::string_view fail_prefix = "");
const std::string& ToolName();

// Prints `line` (control characters shown as '?', head and tail of a very long one) and
// returns `code`, one of src/common/exit_codes.h.
int Fail(int code, std::string_view line);
int Fail(int code, const absl::Status& status);
inline int Fail(int code, const char* line) { return Fail(code, std::string_view(line)); }
inline int Fail(int code, const std::string& line) { return Fail(code, std::string_view(line)); }

// The line Fail prints for `line` (without the tool prefix and newline).
std::string BoundedLine(std::string_view line);

}  // namespace cli
