#include "common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/absl_fmt.h"

namespace common {
namespace {

std::atomic<LogFormat> current_format{LogFormat::kText};

// RFC 3339 in UTC with milliseconds: 2026-01-02T03:04:05.678Z.
std::string Rfc3339Millis(int64_t unix_millis) {
  const std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  const size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(text, n) + fmt::format(".{:03d}Z", static_cast<int>(unix_millis % 1000));
}

// Builds each line with nlohmann::json, so any message (quotes, control characters, invalid
// UTF-8 from a remote peer) becomes one valid JSON object.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const int64_t millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string line = JsonLogLine(millis, std::string_view(level.data(), level.size()),
                                   std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                                   std::string_view(msg.payload.data(), msg.payload.size()));
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string JsonLogLine(int64_t unix_millis, std::string_view level, std::string_view logger,
                        std::string_view message) {
  nlohmann::ordered_json line;
  line["ts"] = Rfc3339Millis(unix_millis);
  line["level"] = level;
  line["logger"] = logger;
  line["msg"] = message;
  // Invalid UTF-8 (a registry's error body) is replaced, never an exception or a broken line.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void InitLogging(bool verbose, LogFormat format, const std::string& name) {
  spdlog::drop(name);
  auto logger = spdlog::stderr_logger_mt(name);
  if (format == LogFormat::kJson) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  current_format = format;
}

LogFormat CurrentLogFormat() { return current_format; }

}  // namespace common
