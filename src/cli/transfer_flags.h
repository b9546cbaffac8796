// --min-speed, --stall-seconds and --request-timeout (TransferLimits) for every command line
// that builds a registry client: image-sync, violet push, upgrade-core trigger. Mains only.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "registry/transfer_limits.h"

namespace cli {

inline void AddTransferLimitFlags(CLI::App& app, registry::TransferLimits& limits) {
  app.add_option_function<int64_t>(
         "--min-speed", [&limits](const int64_t& value) { limits.min_speed = value; },
         "bytes/s a registry transfer must average over --stall-seconds while bytes are due")
      ->default_str(std::to_string(limits.min_speed))
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  app.add_option_function<int>(
         "--stall-seconds",
         [&limits](const int& value) { limits.stall = std::chrono::seconds(value); },
         "window of the --min-speed average")
      ->default_str(std::to_string(limits.stall.count()))
      ->check(CLI::Range(1, 3600));
  app.add_option_function<int>(
         "--request-timeout",
         [&limits](const int& value) { limits.request_timeout = std::chrono::seconds(value); },
         "seconds for a registry request without a blob (ping, token, manifest, HEAD); a blob "
         "transfer gets this plus its size at --min-speed")
      ->default_str(std::to_string(limits.request_timeout.count()))
      ->check(CLI::Range(1, 86400));
}

}  // namespace cli
