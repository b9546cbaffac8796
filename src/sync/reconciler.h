// The reconcile pass: one consistency check (the same paged, key-ordered scan as /check)
// that, while this replica leads, writes missed and stale keys from the source with
// guarded Txns (a newer live update always wins), keeps and reports surplus keys, and
// stops repairing keys the standby keeps undoing (contested). Run in the background on
// becoming leader with a checkpoint, and by the monitor's periodic check.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "sync/consistency_check.h"
#include "sync/key_filter.h"
#include "sync/reconcile.h"
#include "sync/sync_config.h"
#include "sync/sync_stats.h"
#include "sync/txn_batcher.h"

namespace etcdsync {

class Reconciler {
 public:
  enum class Trigger {
    kLeaderStart,  // "Reconcile pass started/finished" in the log
    kPeriodic,     // the monitor's periodic data check
    kReportOnly,   // never repairs (GET /check)
  };
  enum class Outcome {
    kRepaired,
    kLiveWon,        // the destination key changed after the check read it
    kSourceChanged,  // the source key changed after the check's revision: live carries it
    kUndone,         // the source deleted the key right after the repair: taken back
    kContested,
    kUnwritable,  // the destination refuses even this put alone as too large (logged)
  };

  // All references must outlive the Reconciler (the main owns them). `periodic_page_bytes`
  // paces kPeriodic passes (PacedCheckScan: one source page of about that many bytes in
  // flight, so the check does not queue seconds of reads ahead of live replication's watch
  // on a WAN link); 0 reads as fast as the other triggers, which are never paced.
  Reconciler(const SyncConfig& config, etcd::Client& source, etcd::Client& destination,
             const KeyFilter& filter, SyncStats& stats, int contested_after_repairs = 3,
             int64_t periodic_page_bytes = 0);

  // Repairs are written only between Lead() and StandDown(), under that fence.
  void Lead(Fence fence);
  void StandDown();

  // One check; differences also go to `listing` (may be null). Repairs when this replica
  // leads and `trigger` is not kReportOnly. A kPeriodic pass is paced (see the constructor)
  // until `full_speed` (may be null; must outlive the call) turns true.
  absl::StatusOr<CheckReport> Run(Trigger trigger, CheckSink* listing, std::stop_token stop = {},
                                  const std::atomic<bool>* full_speed = nullptr);

  // Repairs one missed or stale key under `fence` (exposed for tests). Errors: the fence
  // is lost (IsFenceLost), or an etcd failed.
  absl::StatusOr<Outcome> Repair(const KeyDifference& difference, const Fence& fence);

  const RepairLedger& ledger() const { return ledger_; }

  // The chunk boundaries its passes plan from (and leave for the next), and their chunk size: an
  // initial copy may leave them too (FullSync::LeaveBoundaries).
  std::shared_ptr<etcd::ChunkBoundaries> boundaries() const { return boundaries_; }
  static int chunk_keys() { return CheckScan{}.chunk_keys; }

 private:
  std::optional<Fence> CurrentFence() const;

  const SyncConfig& config_;
  etcd::Client& source_;
  etcd::Client& destination_;
  const KeyFilter& filter_;
  SyncStats& stats_;
  RepairLedger ledger_;
  const int64_t periodic_page_bytes_;
  mutable std::mutex fence_mutex_;
  std::optional<Fence> fence_;
  // Chunk boundaries one pass leaves for the next (every pass after the first plans with no
  // discovery calls on the source).
  std::shared_ptr<etcd::ChunkBoundaries> boundaries_ = std::make_shared<etcd::ChunkBoundaries>();
};

}  // namespace etcdsync
