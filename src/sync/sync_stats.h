// Counters the engine keeps for logs, the monitor and metrics. Updated with relaxed atomics
// from the engine's threads; read from anywhere.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace etcdsync {

// A latency histogram with fixed bucket bounds (seconds), updated without locks; read as
// Prometheus renders it (cumulative buckets, sum, count).
class LatencyHistogram {
 public:
  static constexpr std::array<double, 13> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,  0.5,    1,     2.5,  5,     10};
  struct Snapshot {
    std::array<int64_t, kBounds.size()> cumulative{};  // observations <= kBounds[i]
    int64_t count = 0;                                 // all observations (the +Inf bucket)
    double sum_seconds = 0;
  };

  void Observe(std::chrono::nanoseconds elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
    ++buckets_[bucket];
    sum_ns_ += elapsed.count();
  }

  Snapshot Read() const {
    Snapshot snapshot;
    int64_t running = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      running += buckets_[i].load();
      snapshot.cumulative[i] = running;
    }
    snapshot.count = running + buckets_[kBounds.size()].load();
    snapshot.sum_seconds = static_cast<double>(sum_ns_.load()) / 1e9;
    return snapshot;
  }

 private:
  std::array<std::atomic<int64_t>, kBounds.size() + 1> buckets_{};  // last: over every bound
  std::atomic<int64_t> sum_ns_{0};
};

struct SyncStats {
  std::atomic<bool> leader{false};
  // The leader Lease published on the standby's API (leader_lease_publisher.h): failed
  // publishes, unix milliseconds of the last good one (0: never), its leaseTransitions.
  std::atomic<int64_t> lease_publish_failures{0};
  std::atomic<int64_t> lease_published_unix_ms{0};
  std::atomic<int64_t> lease_transitions{0};
  std::atomic<bool> initial_copy_done{false};
  std::atomic<int64_t> applied_revision{0};   // last source revision applied (live)
  std::atomic<int64_t> copy_keys_written{0};  // puts+deletes during full syncs
  std::atomic<int64_t> copy_bytes_written{0};
  std::atomic<int64_t> events_applied{0};  // live mutations written
  std::atomic<int64_t> bytes_applied{0};
  std::atomic<int64_t> txns_applied{0};
  std::atomic<int64_t> split_revisions{0};
  std::atomic<int64_t> full_syncs{0};    // initial copies and resyncs
  std::atomic<int64_t> held_objects{0};  // dependents waiting for their owners
  std::atomic<int64_t> held_released_on_timeout{0};
  std::atomic<int64_t> lease_keys_skipped{0};
  // Values the filter's value rule keeps cluster-local (Pods bound to a node): not written.
  std::atomic<int64_t> local_values_skipped{0};
  // The reconcile pass (on becoming leader with a checkpoint) and the periodic check's
  // repairs: passes run, keys written from the source, surplus keys kept (last pass), keys
  // listed as contested (repaired too often; no longer repaired).
  std::atomic<int64_t> reconcile_passes{0};
  std::atomic<int64_t> reconcile_repairs{0};
  std::atomic<int64_t> reconcile_surplus_kept{0};
  std::atomic<int64_t> contested_keys{0};
  // Source values no destination Txn can carry (the destination's --max-request-bytes is
  // below the source's): logged, skipped, listed by /check.
  std::atomic<int64_t> unwritable_values{0};
  // Objects too large to be held back for their owners (their held copy would not fit a
  // Txn with the checkpoint): written at once instead.
  std::atomic<int64_t> too_large_to_hold{0};
  // steady_clock nanoseconds when the oldest received, not yet applied change arrived (0:
  // nothing pending).
  std::atomic<int64_t> pending_since_ns{0};
  // Live replication's source watch: opened once per process, then reopened after every
  // error, resync or change of leader (each reopening counts).
  std::atomic<bool> watch_opened{false};
  std::atomic<int64_t> watch_restarts{0};
  // How long each batch of source changes took to write to the destination (its Txns).
  LatencyHistogram apply_duration;
  // steady_clock nanoseconds when live replication last wrote a source change (0: never).
  std::atomic<int64_t> last_applied_ns{0};
};

}  // namespace etcdsync
