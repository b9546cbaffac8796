// Makes the destination's synced range equal to the source's at one revision R, fast:
// pages of the source are compared with the same key interval of the destination and only
// the differences are written (puts for missing or changed keys, deletes for keys the
// source no longer has), in batched Txns with several in flight. Used for the initial copy
// and for the resync after the source compacted past our checkpoint; a crashed copy simply
// runs again and rewrites nothing that is already right.
#pragma once

#include <memory>
#include <stop_token>

#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "etcd/range_chunks.h"
#include "sync/apply_policy.h"
#include "sync/checkpoint.h"
#include "sync/destination_writer.h"
#include "sync/key_filter.h"
#include "sync/sync_config.h"
#include "sync/sync_stats.h"
#include "sync/txn_batcher.h"

namespace etcdsync {

struct FullSyncResult {
  // Live replication continues from revision + 1.
  int64_t revision = 0;
  int64_t keys_scanned = 0;
  int64_t puts = 0;
  int64_t deletes = 0;
  // The source compacted the pinned revision mid-copy; later pages were read at a newer
  // revision, so the watch from revision + 1 will report compaction and trigger one more
  // (cheap) pass.
  bool repinned = false;
};

class FullSync {
 public:
  FullSync(const SyncConfig& config, etcd::Client& source, etcd::Client& destination,
           const KeyFilter& filter, ApplyPolicy& policy, SyncStats& stats, Fence fence,
           CheckpointChain* chain = nullptr);

  // `identity` carries the source cluster ID and prefix for the checkpoints it writes.
  absl::StatusOr<FullSyncResult> Run(const Checkpoint& identity, std::stop_token stop);

  // A copy that completes leaves in `boundaries` every `chunk_keys`-th source key it read (as a
  // consistency check's pass does), so that the first check after it plans its chunks without
  // discovery calls: on a WAN link those are megabytes of keys queued ahead of live changes.
  void LeaveBoundaries(std::shared_ptr<etcd::ChunkBoundaries> boundaries, int chunk_keys) {
    boundaries_ = std::move(boundaries);
    boundary_chunk_keys_ = chunk_keys;
  }

 private:
  // In-scope destination keys in [from, to), in key order, read in pages.
  absl::Status ReadDestination(const std::string& from, const std::string& to,
                               std::vector<Mutation>& out);

  const SyncConfig& config_;
  etcd::Client& source_;
  etcd::Client& destination_;
  const KeyFilter& filter_;
  ApplyPolicy& policy_;
  SyncStats& stats_;
  Fence fence_;
  CheckpointChain* chain_;
  std::shared_ptr<etcd::ChunkBoundaries> boundaries_;
  int boundary_chunk_keys_ = 0;
};

// Removes from both sides (each sorted by key) every key listed in `keys` (sorted): keys
// whose value is cluster-local on either side are neither written nor deleted.
void DropKeys(std::vector<Mutation>& source, std::vector<Mutation>& destination,
              const std::vector<std::string>& keys);

// The differences that make `destination` equal to `source` (both sorted by key, in scope).
std::vector<Mutation> DiffSorted(std::vector<Mutation> source,
                                 const std::vector<Mutation>& destination);

}  // namespace etcdsync
