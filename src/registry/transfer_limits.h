// How slow a registry may be before a request is given up: a minimum speed while bytes are
// due, averaged over a window, and a deadline per request that grows with what it moves.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

namespace registry {

// The operator's knobs (--min-speed, --stall-seconds, --request-timeout; cmd/image-sync/
// README.md). A healthy WAN link is orders of magnitude above them; a registry that trickles
// bytes fails a request within about --stall-seconds or --request-timeout.
struct TransferLimits {
  int64_t min_speed = 1024;                  // bytes/s a transfer must average while due...
  std::chrono::seconds stall{30};            // ...over every window this long
  std::chrono::seconds request_timeout{60};  // a request without a blob body, and the slack
};

// The registry's own work on a blob before it answers the finishing PUT (verify, move).
inline constexpr int64_t kCommitBytesPerSecond = 16 << 20;

// Deadline for a whole request: request_timeout, plus `body_bytes` at min_speed, plus
// `commit_bytes` at kCommitBytesPerSecond.
std::chrono::milliseconds RequestDeadline(const TransferLimits& limits, int64_t body_bytes,
                                          int64_t commit_bytes);

// One line saying which limit a request hit and which flag changes it.
std::string DescribeStall(const TransferLimits& limits, int64_t moved);
std::string DescribeDeadline(const TransferLimits& limits, std::chrono::milliseconds deadline,
                             int64_t body_bytes);

// The minimum-speed rule over a sliding window. Fed the bytes moved so far while bytes are
// due; Pause() while none are (the server is thinking): the window starts again after it.
class StallMeter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StallMeter(const TransferLimits& limits) : limits_(limits) {}

  // True when, over the last full window, fewer than min_speed * stall bytes moved.
  // `moved_in_window` (optional) receives the bytes of that window.
  bool Stalled(Clock::time_point now, int64_t moved, int64_t* moved_in_window = nullptr);
  void Pause() { samples_.clear(); }

 private:
  struct Sample {
    Clock::time_point at;
    int64_t moved;
  };
  TransferLimits limits_;
  std::deque<Sample> samples_;  // at most one per 250 ms, about one window's worth
};

}  // namespace registry
