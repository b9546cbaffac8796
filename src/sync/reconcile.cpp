#include "sync/reconcile.h"

namespace etcdsync {
namespace {

void AddFenceRead(etcd::pb::TxnRequest& txn, const Fence& fence) {
  if (fence.leader_key.empty()) return;
  txn.add_failure()->mutable_request_range()->set_key(fence.leader_key);
}

}  // namespace

ReconcileAction DecideReconcile(KeyDifference::Kind kind, bool repairing, bool contested) {
  if (kind == KeyDifference::Kind::kSurplus) return ReconcileAction::kKeepSurplus;
  if (!repairing) return ReconcileAction::kReportOnly;
  if (contested) return ReconcileAction::kSkipContested;
  return ReconcileAction::kRepair;
}

bool SourceUnchanged(bool present, int64_t latest_mod_revision, int64_t checked_mod_revision) {
  return present && checked_mod_revision != 0 && latest_mod_revision == checked_mod_revision;
}

RepairLedger::RepairLedger(int contested_after, size_t max_tracked, size_t max_listed)
    : contested_after_(std::max(1, contested_after)),
      max_tracked_(max_tracked),
      max_listed_(max_listed) {}

RepairLedger::Verdict RepairLedger::Ask(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return Verdict::kRepair;
  if (it->second.contested) return Verdict::kContested;
  if (it->second.repairs < contested_after_) return Verdict::kRepair;
  it->second.contested = true;
  ++contested_;
  return Verdict::kNewlyContested;
}

bool RepairLedger::Repaired(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_tracked_) return false;
    it = entries_.emplace(key, Entry{}).first;
  }
  ++it->second.repairs;
  return true;
}

bool RepairLedger::IsContested(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.contested;
}

size_t RepairLedger::contested() const {
  std::lock_guard lock(mutex_);
  return contested_;
}

std::vector<std::string> RepairLedger::ContestedKeys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> keys;
  for (const auto& [key, entry] : entries_) {
    if (keys.size() >= max_listed_) break;
    if (entry.contested) keys.push_back(key);
  }
  return keys;
}

std::string HeldMarkerKey(const std::string& state_prefix, const std::string& key) {
  return state_prefix + "held/" + key;
}

etcd::pb::TxnRequest BuildRepairTxn(const Fence& fence, const std::string& held_marker,
                                    const std::string& key, const std::string& value,
                                    int64_t destination_mod_revision) {
  etcd::pb::TxnRequest txn;
  AddFenceCompare(txn, fence);
  etcd::pb::Compare* as_checked = txn.add_compare();
  as_checked->set_key(key);
  as_checked->set_result(etcd::pb::Compare::EQUAL);
  if (destination_mod_revision == 0) {
    as_checked->set_target(etcd::pb::Compare::VERSION);
    as_checked->set_version(0);  // still absent
  } else {
    as_checked->set_target(etcd::pb::Compare::MOD);
    as_checked->set_mod_revision(destination_mod_revision);
  }
  if (!held_marker.empty()) {
    etcd::pb::Compare* not_held = txn.add_compare();
    not_held->set_key(held_marker);
    not_held->set_result(etcd::pb::Compare::EQUAL);
    not_held->set_target(etcd::pb::Compare::VERSION);
    not_held->set_version(0);
  }
  etcd::pb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  AddFenceRead(txn, fence);
  return txn;
}

etcd::pb::TxnRequest BuildUndoRepairTxn(const Fence& fence, const std::string& key,
                                        int64_t written_revision) {
  etcd::pb::TxnRequest txn;
  AddFenceCompare(txn, fence);
  etcd::pb::Compare* unchanged = txn.add_compare();
  unchanged->set_key(key);
  unchanged->set_result(etcd::pb::Compare::EQUAL);
  unchanged->set_target(etcd::pb::Compare::MOD);
  unchanged->set_mod_revision(written_revision);
  txn.add_success()->mutable_request_delete_range()->set_key(key);
  AddFenceRead(txn, fence);
  return txn;
}

bool FenceHeld(const etcd::pb::TxnResponse& response, const Fence& fence) {
  if (fence.leader_key.empty()) return true;
  for (const auto& op : response.responses()) {
    if (!op.has_response_range()) continue;
    for (const auto& kv : op.response_range().kvs()) {
      if (kv.key() == fence.leader_key) return kv.create_revision() == fence.create_revision;
    }
    return false;
  }
  return false;
}

}  // namespace etcdsync
