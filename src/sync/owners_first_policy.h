// Owners before dependents: a Kubernetes object whose ownerReferences name owners (by UID)
// that the destination does not have yet is held back, so the standby's garbage collector
// never sees an orphan and deletes it. Held objects are kept in the destination under
// <state-prefix>held/<key> in the same Txn as the checkpoint (a crash loses none), are
// released the moment their last owner lands, and are released anyway, with a warning,
// after `hold_timeout` (an owner that never comes, e.g. in an excluded namespace). An
// object too large for its held copy to share a Txn with the checkpoint under `limits` is
// written at once instead (counted in SyncStats::too_large_to_hold): holding it could
// lose it, writing it early only risks what the hold avoids.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "sync/apply_policy.h"
#include "sync/key_filter.h"
#include "sync/owner_index.h"
#include "sync/sync_stats.h"
#include "sync/txn_batcher.h"

namespace etcdsync {

class OwnersFirstPolicy : public ApplyPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  OwnersFirstPolicy(std::string prefix, std::string state_prefix, const KeyFilter& filter,
                    std::chrono::seconds hold_timeout, TxnLimits limits, SyncStats& stats,
                    std::function<Clock::time_point()> now = Clock::now);

  absl::Status Prepare(etcd::Client& destination) override;
  std::vector<Mutation> Admit(std::vector<Mutation> batch) override;
  std::vector<Mutation> Tick(int64_t revision) override;
  void BeginFullSync() override;
  std::vector<Mutation> EndFullSync() override;

  size_t held() const { return held_.size(); }
  const OwnerIndex& present() const { return present_; }
  // Keys remembered for EndFullSync: only held ones (memory stays O(held), not O(keys)).
  size_t remembered_in_full_sync() const { return seen_in_full_sync_.size(); }
  std::string HeldKey(const std::string& key) const { return held_prefix_ + key; }

 private:
  struct Held {
    Mutation put;
    std::vector<uint64_t> owners;
    Clock::time_point since;
  };
  static uint64_t Hash(const std::string& uid) { return std::hash<std::string>()(uid); }
  bool OwnersPresent(const std::vector<uint64_t>& owners) const;
  // Writes `put`, whose metadata.uid is `uid` (empty: none), and everything that was waiting
  // for it, breadth first. The caller has read `put`'s metadata already: a value is parsed once.
  void Release(Mutation put, const std::string& uid, int64_t revision, std::vector<Mutation>& out);
  void Hold(Mutation put, std::vector<uint64_t> owners, std::vector<Mutation>& out);
  void Forget(const std::string& key, int64_t revision, std::vector<Mutation>& out);
  Mutation StateDelete(const std::string& key, int64_t revision) const;
  void Publish();

  std::string prefix_;
  std::string held_prefix_;
  const KeyFilter& filter_;
  std::chrono::seconds hold_timeout_;
  TxnLimits limits_;
  SyncStats& stats_;
  std::function<Clock::time_point()> now_;

  OwnerIndex present_;  // UIDs of the objects on the destination (deleted ones dropped)
  std::unordered_map<std::string, Held> held_;
  std::unordered_multimap<uint64_t, std::string> waiting_;  // owner uid -> held key
  bool in_full_sync_ = false;
  std::unordered_set<std::string> seen_in_full_sync_;  // held keys the full sync saw
};

}  // namespace etcdsync
