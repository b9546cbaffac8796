// The in-scope source changes the monitor's watch (its own, or the replicator's through the
// tap) has seen and the applied revision does not cover yet, so that etcd_sync_lag_events costs
// O(changes), not a scan of every key in scope. Bounded: distinct keys are remembered by a 64-bit
// hash, at most max_keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"

namespace monitor {

class PendingChanges {
 public:
  explicit PendingChanges(size_t max_keys) : max_keys_(max_keys) {}

  // A change (put or delete) of `key` at `revision`; revisions come in rising order.
  void Record(std::string_view key, int64_t revision);
  // Drops the changes `applied_revision` covers.
  void Forget(int64_t applied_revision);
  // Forgets everything (the watch restarts from a new revision).
  void Clear();

  // Distinct keys with a change not covered; past max_keys, a lower bound (max_keys + 1)
  // until the applied revision passes what did not fit.
  int64_t keys() const { return static_cast<int64_t>(latest_.size()) + (overflow_ > 0 ? 1 : 0); }
  // The newest change recorded and not covered (0: none).
  int64_t newest_revision() const { return newest_; }
  // Bytes held, about (for the size stated in the README).
  size_t ApproximateBytes() const;

 private:
  size_t max_keys_;
  absl::flat_hash_map<uint64_t, int64_t> latest_;        // key hash -> newest revision seen
  absl::btree_set<std::pair<int64_t, uint64_t>> order_;  // (newest revision, key hash)
  int64_t overflow_ = 0;  // newest revision of the changes that did not fit (0: none)
  int64_t newest_ = 0;
};

}  // namespace monitor
