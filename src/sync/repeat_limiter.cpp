#include "sync/repeat_limiter.h"

#include <fmt/format.h>

#include <cctype>

namespace etcdsync {
namespace {

std::string WithoutDigits(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) out += c;
  }
  return out;
}

}  // namespace

std::optional<std::string> RepeatLimiter::Note(std::string_view message, Clock::time_point now) {
  std::string condition = WithoutDigits(message);
  if (condition == condition_ && now - logged_at_ < interval_) {
    ++suppressed_;
    return std::nullopt;
  }
  std::string line(message);
  if (condition == condition_ && suppressed_ > 0) {
    line += fmt::format(" (seen {} more times in the last {} s)", suppressed_,
                        std::chrono::duration_cast<std::chrono::seconds>(now - logged_at_).count());
  }
  condition_ = std::move(condition);
  logged_at_ = now;
  suppressed_ = 0;
  return line;
}

void RepeatLimiter::Clear() {
  condition_.clear();
  suppressed_ = 0;
}

}  // namespace etcdsync
