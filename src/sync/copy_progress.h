// Progress of a long copy as plain log lines: keys and bytes done, rate, ETA.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace etcdsync {

class CopyProgress {
 public:
  CopyProgress(int64_t total_keys, std::chrono::seconds interval);

  // Called after each page; logs at most once per interval.
  void Update(int64_t keys_scanned, int64_t keys_written, int64_t bytes_written);
  // Final line: totals and average rate.
  void Done(int64_t keys_scanned, int64_t keys_written, int64_t bytes_written);

  // "12345/100000 keys scanned, 12000 written (11.8 MiB), 25000 keys/s, ETA 3s"
  static std::string Format(int64_t total_keys, int64_t keys_scanned, int64_t keys_written,
                            int64_t bytes_written, double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  int64_t total_keys_;
  std::chrono::seconds interval_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_log_ = Clock::now();
};

}  // namespace etcdsync
