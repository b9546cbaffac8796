// Streams source changes to the destination from a Watch: the events of one source
// revision are written in one destination Txn together with the checkpoint (split only
// when a destination limit forces it, and then logged), so the destination moves from one
// source state to the next and a restart resumes exactly after the last applied revision.
#pragma once

#include <functional>
#include <stop_token>

#include "absl/status/status.h"
#include "etcd/client.h"
#include "sync/apply_policy.h"
#include "sync/checkpoint.h"
#include "sync/destination_writer.h"
#include "sync/key_filter.h"
#include "sync/sync_config.h"
#include "sync/sync_stats.h"
#include "sync/txn_batcher.h"
#include "sync/watch_tap.h"

namespace etcdsync {

class LiveReplicator {
 public:
  LiveReplicator(const SyncConfig& config, etcd::Client& source, etcd::Client& destination,
                 const KeyFilter& filter, ApplyPolicy& policy, SyncStats& stats, Fence fence,
                 CheckpointChain* chain = nullptr, WatchTap* tap = nullptr);

  // Replicates from `checkpoint.revision + 1` until stopped or failed. `on_started` runs
  // once the watch is established; from then until Run returns, `tap` (if any) sees every
  // response of the watch before it is applied. Returns a compaction error (etcd::IsCompacted) when
  // the source no longer has the history we need.
  absl::Status Run(Checkpoint checkpoint, std::stop_token stop,
                   const std::function<void()>& on_started);

 private:
  absl::Status Apply(std::vector<Mutation> mutations, Checkpoint& checkpoint);
  // Writes admitted mutations with the checkpoint moved to `through`.
  absl::Status Write(std::vector<Mutation> admitted, int64_t through, Checkpoint& checkpoint);

  const SyncConfig& config_;
  etcd::Client& source_;
  etcd::Client& destination_;
  const KeyFilter& filter_;
  ApplyPolicy& policy_;
  SyncStats& stats_;
  Fence fence_;
  CheckpointChain* chain_;
  WatchTap* tap_;
};

}  // namespace etcdsync
