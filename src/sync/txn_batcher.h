// Packs mutations into destination Txns that respect the destination's limits (operations
// per Txn, request bytes), each guarded by the leader fence. Pure logic, no I/O.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "etcd/client.h"
#include "sync/checkpoint.h"
#include "sync/mutation.h"

namespace etcdsync {

struct TxnLimits {
  int max_ops = 128;
  size_t max_bytes = 1536 * 1024;
};

// Every write is conditional on the leader key still being ours: a deposed leader's Txn
// fails instead of interleaving with its successor's.
struct Fence {
  std::string leader_key;
  int64_t create_revision = 0;
};

// Adds the fence compare (the leader key's create revision unchanged) to `txn`; none when
// `fence` names no leader key.
void AddFenceCompare(etcd::pb::TxnRequest& txn, const Fence& fence);

struct TxnBatch {
  std::vector<etcd::pb::TxnRequest> txns;
  // Source revisions whose changes had to be spread over more than one Txn.
  std::vector<int64_t> split_revisions;
};

// Without `checkpoint`: data only (the parallel initial copy). With it: every Txn also
// stores the checkpoint, whose revision is the last source revision that Txn completes
// (so a crash between two Txns of one revision replays that revision, never skips it).
// `base_revision` is the checkpoint revision before this batch.
// One put too large to share a Txn with the checkpoint (a value near the source's own
// request limit) goes alone into a Txn with just the fence, and the checkpoint follows in
// the next Txn (a crash in between replays that put: idempotent). Whether even that fits
// is the destination's to say: ApplyTxn handles its refusal.
TxnBatch BuildTxns(std::span<const Mutation> mutations, const Fence& fence, const TxnLimits& limits,
                   const std::string& checkpoint_key = "",
                   const std::optional<Checkpoint>& checkpoint = std::nullopt,
                   int64_t base_revision = 0);

// The same, moving each key and value into its op instead of copying it (the initial copy:
// two allocations and a value's bytes less per key); `mutations` is left empty.
TxnBatch BuildTxns(std::vector<Mutation>&& mutations, const Fence& fence, const TxnLimits& limits,
                   const std::string& checkpoint_key = "",
                   const std::optional<Checkpoint>& checkpoint = std::nullopt,
                   int64_t base_revision = 0);

// True when `mutation` can share a Txn with the fence and the checkpoint under `limits`.
bool FitsBesideCheckpoint(const Mutation& mutation, const TxnLimits& limits);

// A Txn that only moves the checkpoint (after filtered-out events or progress notices).
etcd::pb::TxnRequest BuildCheckpointTxn(const Fence& fence, const std::string& checkpoint_key,
                                        const Checkpoint& checkpoint);

}  // namespace etcdsync
