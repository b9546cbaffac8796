// The monitor's memory of replication lag: a fixed-size ring of samples (one every few
// seconds, the last hour by default), served as JSON at GET /lag-history for dashboards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace monitor {

struct LagSample {
  int64_t unix_seconds = 0;
  double lag_seconds = 0;
  int64_t lag_events = -1;  // -1: unknown (the source did not answer)
  int64_t applied_revision = 0;
  bool source_up = false;
  bool dest_up = false;
  bool leader = false;
};

class LagHistory {
 public:
  explicit LagHistory(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Keeps the newest `capacity` samples; older ones are overwritten.
  void Add(const LagSample& sample);
  // Oldest first.
  std::vector<LagSample> Samples() const;
  // {"interval_seconds":..,"capacity":..,"samples":[{"t":..,"lag_seconds":..,
  //  "lag_events":..|null,"applied_revision":..,"source_up":..,"dest_up":..,"leader":..}]}
  std::string ToJson(int interval_seconds) const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<LagSample> ring_;
  size_t next_ = 0;  // where the next sample goes once the ring is full
};

}  // namespace monitor
