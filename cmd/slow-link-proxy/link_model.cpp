#include "link_model.h"

#include <algorithm>

LinkDirection::Clock::time_point LinkDirection::Schedule(size_t bytes, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const Clock::time_point start = std::max(now, free_at_);
  free_at_ = start;
  if (bytes_per_second_ > 0) {
    free_at_ += std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(bytes) / bytes_per_second_));
  }
  return free_at_ + delay_;
}

void LinkDirection::Set(double bytes_per_second, Clock::duration delay) {
  std::lock_guard lock(mutex_);
  bytes_per_second_ = bytes_per_second;
  delay_ = delay;
}
