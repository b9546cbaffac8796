// Process-wide logging setup: one line per event, to stderr. Text lines are what operators
// grep for ("Acquired leader lease", "Start Sync update"); JSON lines are for log collectors.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace common {

enum class LogFormat {
  kText,  // 2026-01-02T03:04:05.678+0000 info <message>
  kJson,  // {"ts":"2026-01-02T03:04:05.678Z","level":"info","logger":"<name>","msg":"..."}
};

// verbose: also emit debug lines (the operator's "print detail logs" switch). `name` is the
// logger's name (the tool), shown in JSON lines.
void InitLogging(bool verbose, LogFormat format = LogFormat::kText,
                 const std::string& name = "main");

// The format InitLogging chose (text before it is called).
LogFormat CurrentLogFormat();

// One JSON log line (without the newline) as the JSON format writes it; `unix_millis` is the
// event's time. Exposed so that lines written outside spdlog (a tool's last error) match.
std::string JsonLogLine(int64_t unix_millis, std::string_view level, std::string_view logger,
                        std::string_view message);

}  // namespace common
