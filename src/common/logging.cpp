#include "common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include "common/absl_fmt.h"

namespace common {

void InitLogging(bool verbose) {
  auto logger = spdlog::stderr_logger_mt("main");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

}  // namespace common
