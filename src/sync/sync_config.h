// Settings of one replication engine: what to copy, how big a destination Txn may be, how
// the copy is parallelised, where the engine keeps its own state in the destination.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace etcdsync {

struct SyncConfig {
  std::string prefix = "/registry/";
  // Checkpoint and leader election keys in the destination; never inside `prefix`.
  std::string state_prefix = "/etcd-sync/";
  std::string election_name = "etcd-sync-mirror";
  std::string identity;  // this replica's name in the election (the pod name)

  int max_txn_ops = 128;                   // the destination's --max-txn-ops
  size_t max_request_bytes = 1536 * 1024;  // the destination's --max-request-bytes
  int copy_page_size = 10000;              // most keys per source page (pages also stop near 8 MiB)
  int copy_parallelism = 8;                // destination Txns in flight while copying
  std::chrono::seconds lease_ttl{10};      // leader lease
  std::chrono::seconds progress_interval{2};
  // Keys bound to an etcd lease on the source (Events, API server leases) are cluster-
  // local and short-lived. kSkip: neither copied nor compared (the default); kCopy: copied
  // without a lease, as etcdctl make-mirror does (they then live until deleted).
  enum class LeaseKeys { kSkip, kCopy };
  LeaseKeys lease_keys = LeaseKeys::kSkip;
  std::chrono::seconds hold_timeout{300};  // owners-first: longest wait for an owner

  bool Replicates(int64_t source_lease) const {
    return source_lease == 0 || lease_keys == LeaseKeys::kCopy;
  }

  std::string CheckpointKey() const { return state_prefix + "checkpoint"; }
  std::string ElectionName() const { return state_prefix + election_name; }
};

}  // namespace etcdsync
