// The reconcile pass's decisions: what happens to missed, stale and surplus keys, when a
// key is contested, and the compares that let a live write win over a repair.
#include "sync/reconcile.h"

#include <gtest/gtest.h>

#include "sync/consistency_check.h"
#include "sync/full_sync.h"
#include "sync/sync_rules.h"

namespace etcdsync {
namespace {

using Kind = KeyDifference::Kind;

TEST(DecideReconcileTest, MissedAndStaleAreRepairedOnlyWhileRepairing) {
  EXPECT_EQ(DecideReconcile(Kind::kMissed, true, false), ReconcileAction::kRepair);
  EXPECT_EQ(DecideReconcile(Kind::kStale, true, false), ReconcileAction::kRepair);
  EXPECT_EQ(DecideReconcile(Kind::kMissed, false, false), ReconcileAction::kReportOnly);
  EXPECT_EQ(DecideReconcile(Kind::kStale, false, false), ReconcileAction::kReportOnly);
}

TEST(DecideReconcileTest, SurplusIsAlwaysKeptNeverDeleted) {
  EXPECT_EQ(DecideReconcile(Kind::kSurplus, true, false), ReconcileAction::kKeepSurplus);
  EXPECT_EQ(DecideReconcile(Kind::kSurplus, true, true), ReconcileAction::kKeepSurplus);
  EXPECT_EQ(DecideReconcile(Kind::kSurplus, false, false), ReconcileAction::kKeepSurplus);
}

TEST(DecideReconcileTest, ContestedKeysAreNoLongerRepaired) {
  EXPECT_EQ(DecideReconcile(Kind::kMissed, true, true), ReconcileAction::kSkipContested);
  EXPECT_EQ(DecideReconcile(Kind::kStale, true, true), ReconcileAction::kSkipContested);
}

TEST(SourceUnchangedTest, OnlyTheValueTheCheckSawIsWritten) {
  EXPECT_TRUE(SourceUnchanged(true, 40, 40));
  EXPECT_FALSE(SourceUnchanged(true, 41, 40));  // changed after R: live replication has it
  EXPECT_FALSE(SourceUnchanged(false, 0, 40));  // deleted after R
  EXPECT_FALSE(SourceUnchanged(true, 0, 0));
}

TEST(RepairLedgerTest, AKeyRepairedNTimesIsContestedOnTheNextNeed) {
  RepairLedger ledger(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ledger.Ask("/registry/a"), RepairLedger::Verdict::kRepair) << i;
    ASSERT_TRUE(ledger.Repaired("/registry/a"));
  }
  EXPECT_FALSE(ledger.IsContested("/registry/a"));
  EXPECT_EQ(ledger.Ask("/registry/a"), RepairLedger::Verdict::kNewlyContested);  // log once
  EXPECT_EQ(ledger.Ask("/registry/a"), RepairLedger::Verdict::kContested);
  EXPECT_TRUE(ledger.IsContested("/registry/a"));
  EXPECT_EQ(ledger.contested(), 1u);
  EXPECT_EQ(ledger.ContestedKeys(), std::vector<std::string>{"/registry/a"});
  EXPECT_EQ(ledger.Ask("/registry/b"), RepairLedger::Verdict::kRepair);
}

TEST(RepairLedgerTest, BoundedInKeysAndListing) {
  RepairLedger ledger(1, /*max_tracked=*/2, /*max_listed=*/1);
  EXPECT_TRUE(ledger.Repaired("/a"));
  EXPECT_TRUE(ledger.Repaired("/b"));
  EXPECT_FALSE(ledger.Repaired("/c"));  // full: repaired, not counted
  EXPECT_EQ(ledger.Ask("/c"), RepairLedger::Verdict::kRepair);
  EXPECT_EQ(ledger.Ask("/a"), RepairLedger::Verdict::kNewlyContested);
  EXPECT_EQ(ledger.Ask("/b"), RepairLedger::Verdict::kNewlyContested);
  EXPECT_EQ(ledger.contested(), 2u);
  EXPECT_EQ(ledger.ContestedKeys().size(), 1u);
}

const etcd::pb::Compare* FindCompare(const etcd::pb::TxnRequest& txn, const std::string& key) {
  for (const auto& compare : txn.compare()) {
    if (compare.key() == key) return &compare;
  }
  return nullptr;
}

TEST(RepairTxnTest, AStaleRepairRequiresTheModRevisionTheCheckRead) {
  const Fence fence{"/etcd-sync/etcd-sync-mirror/123", 77};
  const etcd::pb::TxnRequest txn =
      BuildRepairTxn(fence, "/etcd-sync/held/registry/k", "/registry/k", "v", 1234);
  const etcd::pb::Compare* fenced = FindCompare(txn, fence.leader_key);
  ASSERT_NE(fenced, nullptr);
  EXPECT_EQ(fenced->target(), etcd::pb::Compare::CREATE);
  EXPECT_EQ(fenced->create_revision(), 77);
  // A live write landing after the check moved the key's mod revision: the compare fails
  // and the live value stays.
  const etcd::pb::Compare* as_read = FindCompare(txn, "/registry/k");
  ASSERT_NE(as_read, nullptr);
  EXPECT_EQ(as_read->target(), etcd::pb::Compare::MOD);
  EXPECT_EQ(as_read->result(), etcd::pb::Compare::EQUAL);
  EXPECT_EQ(as_read->mod_revision(), 1234);
  const etcd::pb::Compare* not_held = FindCompare(txn, "/etcd-sync/held/registry/k");
  ASSERT_NE(not_held, nullptr);
  EXPECT_EQ(not_held->target(), etcd::pb::Compare::VERSION);
  EXPECT_EQ(not_held->version(), 0);
  ASSERT_EQ(txn.success_size(), 1);
  EXPECT_EQ(txn.success(0).request_put().key(), "/registry/k");
  EXPECT_EQ(txn.success(0).request_put().value(), "v");
  ASSERT_EQ(txn.failure_size(), 1);  // reads the leader key: fence lost or race lost?
  EXPECT_EQ(txn.failure(0).request_range().key(), fence.leader_key);
}

TEST(RepairTxnTest, AMissedRepairRequiresTheKeyStillAbsent) {
  const etcd::pb::TxnRequest txn = BuildRepairTxn(Fence{"/l", 5}, "", "/registry/k", "v", 0);
  const etcd::pb::Compare* absent = FindCompare(txn, "/registry/k");
  ASSERT_NE(absent, nullptr);
  EXPECT_EQ(absent->target(), etcd::pb::Compare::VERSION);
  EXPECT_EQ(absent->version(), 0);
  EXPECT_EQ(txn.compare_size(), 2);  // fence + absent; no held marker asked for
}

TEST(RepairTxnTest, UndoDeletesOnlyTheRepairItWrote) {
  const etcd::pb::TxnRequest txn = BuildUndoRepairTxn(Fence{"/l", 5}, "/registry/k", 900);
  const etcd::pb::Compare* unchanged = FindCompare(txn, "/registry/k");
  ASSERT_NE(unchanged, nullptr);
  EXPECT_EQ(unchanged->target(), etcd::pb::Compare::MOD);
  EXPECT_EQ(unchanged->mod_revision(), 900);
  ASSERT_EQ(txn.success_size(), 1);
  EXPECT_EQ(txn.success(0).request_delete_range().key(), "/registry/k");
}

TEST(RepairTxnTest, FenceHeldTellsALostFenceFromALostRace) {
  const Fence fence{"/l", 5};
  etcd::pb::TxnResponse response;
  auto* kv = response.add_responses()->mutable_response_range()->add_kvs();
  kv->set_key("/l");
  kv->set_create_revision(5);
  EXPECT_TRUE(FenceHeld(response, fence));
  kv->set_create_revision(6);  // another replica's leader key
  EXPECT_FALSE(FenceHeld(response, fence));
  etcd::pb::TxnResponse gone;
  gone.add_responses()->mutable_response_range();  // no leader key at all
  EXPECT_FALSE(FenceHeld(gone, fence));
  EXPECT_TRUE(FenceHeld(gone, Fence{}));  // unfenced (tests)
}

// Bound pods: cluster-local by default, on either side; syncBoundPods syncs them.
constexpr char kBoundPod[] = R"({"kind":"Pod","spec":{"nodeName":"node-1"}})";
constexpr char kPendingPod[] = R"({"kind":"Pod","spec":{"containers":[]}})";

TEST(BoundPodRuleTest, BoundPodsAreClusterLocalByDefault) {
  KubernetesKeyFilter filter("/registry/", DefaultSyncRules());
  EXPECT_FALSE(filter.IncludesValue("/registry/pods/team-a/web-1", kBoundPod));
  EXPECT_TRUE(filter.IncludesValue("/registry/pods/team-a/web-1", kPendingPod));
  // Only Pods: a Deployment's template with a nodeName is not runtime state.
  EXPECT_TRUE(filter.IncludesValue("/registry/deployments/team-a/web", kBoundPod));
  EXPECT_TRUE(IsBoundPod("/registry/", "/registry/pods/a/b", kBoundPod));
  EXPECT_FALSE(IsBoundPod("/registry/", "/registry/podtemplates/a/b", kBoundPod));
}

TEST(BoundPodRuleTest, SyncBoundPodsSyncsThem) {
  SyncRules rules = DefaultSyncRules();
  rules.sync_bound_pods = true;
  KubernetesKeyFilter filter("/registry/", rules);
  EXPECT_TRUE(filter.IncludesValue("/registry/pods/team-a/web-1", kBoundPod));
}

TEST(BoundPodRuleTest, AKeyBoundOnEitherSideIsNotCompared) {
  EXPECT_TRUE(ComparesPair(true, true));
  EXPECT_FALSE(ComparesPair(false, true));  // bound on the source
  EXPECT_FALSE(ComparesPair(true, false));  // bound on the standby (its own scheduler's)
}

Mutation Put(const std::string& key, const std::string& value) {
  Mutation put;
  put.key = key;
  put.value = value;
  return put;
}

TEST(BoundPodRuleTest, FullSyncNeitherWritesNorDeletesClusterLocalKeys) {
  std::vector<Mutation> source = {Put("/registry/pods/a/1", "x"), Put("/registry/pods/a/3", "z")};
  std::vector<Mutation> destination = {Put("/registry/pods/a/2", "bound-here"),
                                       Put("/registry/pods/a/3", "bound-here")};
  DropKeys(source, destination, {"/registry/pods/a/2", "/registry/pods/a/3"});
  const std::vector<Mutation> diff = DiffSorted(source, destination);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0].key, "/registry/pods/a/1");
  EXPECT_EQ(diff[0].kind, Mutation::Kind::kPut);
}

}  // namespace
}  // namespace etcdsync
