// One direction of an emulated link shared by every connection through it: a FIFO that
// serialises bytes at `rate` and then delays them by `delay` (propagation), as netem would.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>

class LinkDirection {
 public:
  using Clock = std::chrono::steady_clock;
  LinkDirection(double bytes_per_second, Clock::duration delay)
      : bytes_per_second_(bytes_per_second), delay_(delay) {}

  // When `bytes` handed to the link at `now` arrive at the far end.
  Clock::time_point Schedule(size_t bytes, Clock::time_point now);
  // Changes the link for bytes handed to it from now on (the fault proxy's control).
  void Set(double bytes_per_second, Clock::duration delay);

 private:
  double bytes_per_second_;  // <= 0: unlimited
  Clock::duration delay_;
  std::mutex mutex_;
  Clock::time_point free_at_{};  // when the link has sent everything queued so far
};
