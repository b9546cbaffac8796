// Bundle-level progress: bytes still to send after dedup, rate, ETA and images done. On a
// TTY one line redrawn in place; otherwise a plain log line every `interval`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace registry {

struct ProgressCounters {
  std::atomic<int64_t> total_bytes{0};  // to upload (shrinks when a blob turns out present)
  std::atomic<int64_t> sent_bytes{0};
  std::atomic<int> images_total{0};
  std::atomic<int> images_done{0};
};

// "412.0 MiB"
std::string HumanBytes(double bytes);
// "1h02m", "3m05s", "7s"
std::string HumanDuration(std::chrono::seconds duration);
// One progress line, e.g. "images 3/30  412.0 MiB/1.0 GiB  98.3 MiB/s  ETA 6s".
std::string ProgressLine(int64_t sent, int64_t total, int images_done, int images_total,
                         double elapsed_seconds);

// Several targets on one line: "host-a: images 3/30  ... | host-b: images 1/30  ...".
struct LabeledCounters {
  std::string label;
  const ProgressCounters* counters;
};

class ProgressReporter {
 public:
  ProgressReporter(const ProgressCounters& counters, bool tty, std::chrono::milliseconds interval);
  ProgressReporter(std::vector<LabeledCounters> targets, bool tty,
                   std::chrono::milliseconds interval);
  ~ProgressReporter();  // stops and clears the TTY line

 private:
  void Run(std::stop_token stop);
  std::vector<LabeledCounters> targets_;
  bool tty_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point start_;
  std::jthread thread_;
};

}  // namespace registry
