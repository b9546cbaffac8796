// Says a repeating failure at most once per interval, with how often it happened meanwhile,
// so a condition that lasts (a destination out of space, an unreachable source) is one line a
// minute in the log, not one per retry. Pure: the time is the caller's.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace etcdsync {

class RepeatLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RepeatLimiter(std::chrono::seconds interval = std::chrono::seconds(60))
      : interval_(interval) {}

  // The line to log for `message` at `now`, or nullopt when the same condition was logged
  // less than the interval ago (then it is counted). Messages that differ only in digits
  // (endpoints, ports, revisions) are the same condition.
  std::optional<std::string> Note(std::string_view message, Clock::time_point now);
  // The condition ended (a write succeeded): the next failure is logged at once.
  void Clear();

 private:
  std::chrono::seconds interval_;
  std::string condition_;  // the last logged message without its digits
  Clock::time_point logged_at_;
  int64_t suppressed_ = 0;
};

}  // namespace etcdsync
