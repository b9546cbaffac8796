#include "registry/transfer_limits.h"

#include <fmt/format.h>

#include <algorithm>

namespace registry {

std::chrono::milliseconds RequestDeadline(const TransferLimits& limits, int64_t body_bytes,
                                          int64_t commit_bytes) {
  const int64_t speed = std::max<int64_t>(1, limits.min_speed);
  const int64_t body_ms = std::max<int64_t>(0, body_bytes) / speed * 1000 +
                          std::max<int64_t>(0, body_bytes) % speed * 1000 / speed;
  const int64_t commit_ms = std::max<int64_t>(0, commit_bytes) / (kCommitBytesPerSecond / 1000);
  return std::chrono::duration_cast<std::chrono::milliseconds>(limits.request_timeout) +
         std::chrono::milliseconds(body_ms + commit_ms);
}

std::string DescribeStall(const TransferLimits& limits, int64_t moved) {
  return fmt::format(
      "stalled: {} bytes moved in the last {} s, below --min-speed {} B/s over --stall-seconds "
      "{} — check the link to the registry, or lower --min-speed / raise --stall-seconds",
      moved, limits.stall.count(), limits.min_speed, limits.stall.count());
}

std::string DescribeDeadline(const TransferLimits& limits, std::chrono::milliseconds deadline,
                             int64_t body_bytes) {
  if (body_bytes <= 0) {
    return fmt::format(
        "gave no complete answer within --request-timeout {} s — the registry or the link is too "
        "slow; raise --request-timeout if it is only slow",
        limits.request_timeout.count());
  }
  return fmt::format(
      "gave no complete answer within {} s (--request-timeout {} s plus {} bytes at --min-speed {} "
      "B/s) — the registry or the link is too slow; raise --request-timeout or lower --min-speed "
      "if it is only slow",
      (deadline.count() + 999) / 1000, limits.request_timeout.count(), body_bytes,
      limits.min_speed);
}

bool StallMeter::Stalled(Clock::time_point now, int64_t moved, int64_t* moved_in_window) {
  if (samples_.empty() || now - samples_.back().at >= std::chrono::milliseconds(250)) {
    samples_.push_back({now, moved});
  }
  const Clock::time_point window_start = now - limits_.stall;
  // Keep the newest sample at or before the window's start: it is the window's base.
  while (samples_.size() >= 2 && samples_[1].at <= window_start) samples_.pop_front();
  if (samples_.front().at > window_start) return false;  // not a full window yet
  const int64_t in_window = moved - samples_.front().moved;
  if (moved_in_window != nullptr) *moved_in_window = in_window;
  return in_window < limits_.min_speed * static_cast<int64_t>(limits_.stall.count());
}

}  // namespace registry
