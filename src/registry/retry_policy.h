// When to try a registry request again and how long to wait: network errors, 5xx and 429
// are retried with exponential backoff (capped), a server's Retry-After wins when given.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace registry {

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};

  // Wait before attempt `attempt` (2, 3, ...) absent a Retry-After.
  std::chrono::milliseconds Backoff(int attempt) const;
};

bool IsRetryableStatus(long status);

// Retry-After as delta-seconds or an HTTP-date relative to `now`; nullopt if unparsable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace registry
