// Counters the engine keeps for logs, the monitor and metrics. Updated with relaxed atomics
// from the engine's threads; read from anywhere.
#pragma once

#include <atomic>
#include <cstdint>

namespace etcdsync {

struct SyncStats {
  std::atomic<bool> leader{false};
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
  // Source values no destination Txn can carry (the destination's --max-request-bytes is
  // below the source's): logged, skipped, listed by /check.
  std::atomic<int64_t> unwritable_values{0};
  // Objects too large to be held back for their owners (their held copy would not fit a
  // Txn with the checkpoint): written at once instead.
  std::atomic<int64_t> too_large_to_hold{0};
  // steady_clock nanoseconds when the oldest received, not yet applied change arrived (0:
  // nothing pending).
  std::atomic<int64_t> pending_since_ns{0};
};

}  // namespace etcdsync
