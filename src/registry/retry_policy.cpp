#include "registry/retry_policy.h"

#include <ctime>
#include <string>

namespace registry {

std::chrono::milliseconds RetryPolicy::Backoff(int attempt) const {
  auto wait = initial_backoff;
  for (int i = 2; i < attempt && wait < max_backoff; ++i) wait *= 2;
  return std::min(wait, max_backoff);
}

bool IsRetryableStatus(long status) { return status == 429 || (status >= 500 && status <= 599); }

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  bool digits = true;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (value.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stol(std::string(value)));
  }
  std::tm tm{};
  const std::string text(value);
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (when <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
}

}  // namespace registry
