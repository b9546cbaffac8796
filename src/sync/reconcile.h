// The decisions of the reconcile pass and of the periodic check's repairs, as pure logic:
// what to do with a missed, stale or surplus key; when a key the standby keeps undoing is
// "contested" and left alone; and the guarded Txns that write a repair without ever
// overwriting a newer live update.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "etcd/client.h"
#include "sync/consistency_check.h"
#include "sync/txn_batcher.h"

namespace etcdsync {

enum class ReconcileAction {
  kRepair,         // write the source's value (guarded: see BuildRepairTxn)
  kKeepSurplus,    // a key only the destination has: reported, never deleted here
  kReportOnly,     // this check does not repair (a follower, or an operator's GET /check)
  kSkipContested,  // repaired too often already: listed as contested, no longer repaired
};

// Only the full sync that makes a destination a mirror deletes surplus keys; the reconcile
// pass and the periodic check keep them.
ReconcileAction DecideReconcile(KeyDifference::Kind kind, bool repairing, bool contested);

// Whether the source key, read again just before a repair, still is what the check saw:
// present with the same mod revision. Otherwise it changed after the check's revision and
// live replication carries the change: the repair is left to it.
bool SourceUnchanged(bool present, int64_t latest_mod_revision, int64_t checked_mod_revision);

// Counts repairs per key over the process lifetime. A key that needed `contested_after`
// repairs already and needs another is contested: something on the destination keeps
// undoing the repair, and etcd-sync stops fighting it. Bounded: at most `max_tracked` keys
// are counted (further keys are repaired uncounted); listings hold at most `max_listed`
// keys. Thread-safe.
class RepairLedger {
 public:
  enum class Verdict { kRepair, kContested, kNewlyContested };
  explicit RepairLedger(int contested_after = 3, size_t max_tracked = 100000,
                        size_t max_listed = 1000);

  // Asked before repairing `key`; kNewlyContested the first time it turns contested.
  Verdict Ask(const std::string& key);
  // Records one repair of `key`; false when the ledger is full and did not count it.
  bool Repaired(const std::string& key);
  bool IsContested(const std::string& key) const;
  size_t contested() const;
  // The contested keys in key order, at most max_listed of them.
  std::vector<std::string> ContestedKeys() const;
  int contested_after() const { return contested_after_; }

 private:
  struct Entry {
    int repairs = 0;
    bool contested = false;
  };
  const int contested_after_;
  const size_t max_tracked_;
  const size_t max_listed_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  size_t contested_ = 0;
};

// Where OwnersFirstPolicy keeps a held dependent (<state-prefix>held/<key>): a repair never
// writes a key the policy is holding back for its owners.
std::string HeldMarkerKey(const std::string& state_prefix, const std::string& key);

// Puts `key` = `value` only while (a) the fence holds, (b) the destination key is as the
// check read it: absent when `destination_mod_revision` is 0, else still at that mod
// revision, and (c) no held marker exists. A live write that landed in between changes
// the key's mod revision, so it wins. On failure the Txn reads the leader key, which tells
// a lost fence (FenceHeld) from a lost race.
etcd::pb::TxnRequest BuildRepairTxn(const Fence& fence, const std::string& held_marker,
                                    const std::string& key, const std::string& value,
                                    int64_t destination_mod_revision);

// Deletes `key` only while it still carries the repair written at `written_revision`
// (used when the source deleted the key right after a missed key was repaired).
etcd::pb::TxnRequest BuildUndoRepairTxn(const Fence& fence, const std::string& key,
                                        int64_t written_revision);

// For a Txn of the two above that did not succeed: true when the leader key still has the
// fence's create revision (the key compare failed, not the fence).
bool FenceHeld(const etcd::pb::TxnResponse& response, const Fence& fence);

}  // namespace etcdsync
