// Measures replication lag end to end: writes probe keys to the source at a steady rate
// and times their arrival in the destination (through a Watch on the destination).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace workload {

struct LagOptions {
  std::string prefix = "/registry/lag-probe/";
  int rate_per_second = 1000;
  std::chrono::seconds duration{10};
  size_t value_size = 256;
  std::chrono::seconds drain_timeout{30};
  // Concurrent writers sharing the schedule (each Put waits for its answer): a rate above
  // writers / Put latency is not reached.
  int writers = 8;
  // > 0: the lag also per window of this many seconds of sending (does it grow?).
  std::chrono::seconds window{0};
  // 0: every probe puts a new key (prefix + its number), so the prefix grows by rate x duration
  // keys. > 0: probes take turns over this many keys (prefix + number % keys) and carry their
  // number at the start of the value ("<number>:"), as a cluster's writes mostly update
  // existing objects; the prefix then holds at most this many keys.
  int64_t keys = 0;
};

struct LagWindow {
  double start_s = 0;  // seconds since the first write
  int64_t sent = 0;
  int64_t received = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct LagResult {
  int64_t sent = 0;
  int64_t received = 0;
  double achieved_rate = 0;  // writes per second actually sent
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::vector<LagWindow> windows;  // when LagOptions::window is set
};

absl::StatusOr<LagResult> MeasureLag(etcd::Client& source, etcd::Client& destination,
                                     const LagOptions& options);

}  // namespace workload
