// The etcd-sync engine's entry point: win the leader election on the destination, then
// bring the destination up to date (resume from the checkpoint, or copy everything) and
// follow the source live until stopped. Loses leadership cleanly; retries what is
// transient; returns only when stopped or on an error no retry can fix.
#pragma once

#include <memory>
#include <stop_token>

#include "absl/status/status.h"
#include "etcd/client.h"
#include "sync/apply_policy.h"
#include "sync/checkpoint.h"
#include "sync/key_filter.h"
#include "sync/leader_lease_publisher.h"
#include "sync/reconciler.h"
#include "sync/sync_config.h"
#include "sync/sync_stats.h"
#include "sync/txn_batcher.h"
#include "sync/watch_tap.h"

namespace etcdsync {

// Checks that the settings make sense together (e.g. the state prefix lies outside the
// synced prefix); one message naming the flag to fix.
absl::Status ValidateConfig(const SyncConfig& config);

class Syncer {
 public:
  // `filter`, `policy` and `stats` are shared with the caller (the monitor reads them) and
  // must outlive the Syncer.
  Syncer(SyncConfig config, etcd::Client& source, etcd::Client& destination,
         const KeyFilter& filter, ApplyPolicy& policy, SyncStats& stats);

  absl::Status Run(std::stop_token stop);

  // While leading, also publish the leadership through `publisher` (must outlive the
  // Syncer; null: not published). It reports leadership; the etcd fence still decides it.
  void PublishLeadershipWith(LeaderLeasePublisher* publisher) { lease_publisher_ = publisher; }
  // Optional (must outlive the Syncer): while leading, repairs go through it, and on
  // becoming leader with a valid checkpoint (no full sync) it runs a reconcile pass in the
  // background while live replication goes on.
  void set_reconciler(Reconciler* reconciler) { reconciler_ = reconciler; }
  // Optional (outlives the syncer): the live replicator's watch is lent to its observer.
  void set_watch_tap(WatchTap* tap) { tap_ = tap; }

  const SyncStats& stats() const { return stats_; }
  const SyncConfig& config() const { return config_; }

 private:
  // Runs while this replica leads; returns on stop, fence loss or a fatal error.
  absl::Status Lead(const Fence& fence, std::stop_token stop);
  absl::StatusOr<Checkpoint> SourceIdentity();

  SyncConfig config_;
  etcd::Client& source_;
  etcd::Client& destination_;
  const KeyFilter& filter_;
  ApplyPolicy& policy_;
  SyncStats& stats_;
  LeaderLeasePublisher* lease_publisher_ = nullptr;
  Reconciler* reconciler_ = nullptr;
  WatchTap* tap_ = nullptr;
};

}  // namespace etcdsync
