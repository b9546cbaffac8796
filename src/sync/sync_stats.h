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
  std::atomic<int64_t> events_applied{0};     // live mutations written
  std::atomic<int64_t> bytes_applied{0};
  std::atomic<int64_t> txns_applied{0};
  std::atomic<int64_t> split_revisions{0};
  std::atomic<int64_t> full_syncs{0};         // initial copies and resyncs
};

}  // namespace etcdsync
