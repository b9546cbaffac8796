// Restarting the leader runs the sync again (issue 16, acp-spec §8.4/§8.6): with a valid
// checkpoint (no full sync) a reconcile pass writes back keys missed or changed on the
// standby, keeps and lists standby-only keys, never overwrites a newer live write, leaves
// Pods bound to a node to the standby's own controllers, and stops fighting a key the
// standby keeps undoing (contested).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "etcd_sync_fixture.h"
#include "support/http_get.h"
#include "support/monitor_scrape.h"
#include "sync/key_filter.h"
#include "sync/reconciler.h"
#include "workload/kube_keys.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

double MetricOf(const std::string& base, const std::string& name) {
  return Metric(HttpGet(base + "/metrics", "", "", 10).body, name).value_or(-1);
}

constexpr char kBoundPod[] =
    R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"dr-test"},)"
    R"("spec":{"nodeName":"primary-node-1","containers":[]}})";
constexpr char kPendingPod[] =
    R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-2","namespace":"dr-test"},)"
    R"("spec":{"containers":[]}})";

using ReconcileTest = EtcdSyncTest;

TEST_F(ReconcileTest, RestartRepairsTheStandbyAndKeepsItsOwnKeys) {
  Load(300);
  auto first = StartSync();
  ASSERT_TRUE(first->WaitForLog("Start Sync update", 60s)) << first->Log();
  WaitEqual();
  first->Terminate();
  ASSERT_EQ(first->WaitExit(10s), 0) << first->Log();

  // While etcd-sync is down: a key deleted and a key rewritten on the standby, and a key
  // only the standby has.
  const std::string deleted = workload::MakeSampleObject("/registry/", 5, 512).key;
  const std::string rewritten = workload::MakeSampleObject("/registry/", 6, 512).key;
  const std::string standby_only = "/registry/configmaps/dr-test/standby-only";
  ASSERT_TRUE(Get(standby_->client(), deleted).has_value());
  Delete(standby_->client(), deleted);
  Put(standby_->client(), rewritten, "rewritten on the standby");
  Put(standby_->client(), standby_only, R"({"kind":"ConfigMap"})");

  auto second = StartSync({}, "sync2.log");
  ASSERT_TRUE(second->WaitForLog("Reconcile pass finished", 30s)) << second->Log();
  EXPECT_EQ(second->CountInLog("starting a full copy"), 0) << second->Log();
  EXPECT_TRUE(second->WaitForLog("Reconcile pass started", 1s));
  EXPECT_TRUE(second->WaitForLog("Reconcile pass finished: 2 repaired, 1 surplus kept", 1s))
      << second->Log();
  EXPECT_EQ(Get(standby_->client(), deleted), Get(primary_->client(), deleted));
  EXPECT_EQ(Get(standby_->client(), rewritten), Get(primary_->client(), rewritten));
  EXPECT_EQ(Get(standby_->client(), standby_only), R"({"kind":"ConfigMap"})");  // kept

  const std::string base = MonitorBase(*second);
  const HttpResponse check = HttpGet(base + "/check", "", "", 30);
  ASSERT_EQ(check.status, 200) << check.body;
  EXPECT_NE(check.body.find("LOCAL ETCD surplus keys:\n" + standby_only + "\n"), std::string::npos)
      << check.body;
  EXPECT_NE(check.body.find("LOCAL ETCD missed keys:\nLOCAL ETCD surplus keys:"), std::string::npos)
      << check.body;
  EXPECT_EQ(MetricOf(base, "etcd_sync_reconcile_repairs_total"), 2);
  EXPECT_EQ(MetricOf(base, "etcd_sync_reconcile_passes_total"), 1);
  EXPECT_EQ(MetricOf(base, "etcd_sync_reconcile_surplus_keys"), 1);
  EXPECT_EQ(MetricOf(base, "etcd_sync_full_syncs_total"), 0);
}

// The repair's compares, on real etcd: a live write that lands between the check's read and
// the repair wins; a source change after the check's revision is left to live replication.
TEST_F(ReconcileTest, ARepairNeverOverwritesANewerLiveWrite) {
  etcdsync::SyncConfig config;
  etcdsync::PrefixFilter filter("/registry/", {});
  etcdsync::SyncStats stats;
  etcdsync::Reconciler reconciler(config, primary_->client(), standby_->client(), filter, stats);
  const std::string key = "/registry/configmaps/dr-test/raced";
  Put(primary_->client(), key, "source value");
  Put(standby_->client(), key, "stale value");
  auto mod_revision = [&](etcd::Client& client) {
    etcd::pb::RangeRequest read;
    read.set_key(key);
    auto response = client.Range(read);
    EXPECT_TRUE(response.ok());
    return response->kvs_size() > 0 ? response->kvs(0).mod_revision() : 0;
  };
  etcdsync::KeyDifference stale{etcdsync::KeyDifference::Kind::kStale, key,
                                mod_revision(primary_->client()), mod_revision(standby_->client())};
  Put(standby_->client(), key, "newer live value");  // live replication got there first
  auto outcome = reconciler.Repair(stale, etcdsync::Fence{});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, etcdsync::Reconciler::Outcome::kLiveWon);
  EXPECT_EQ(Get(standby_->client(), key), "newer live value");

  // A missed key the standby gained meanwhile (a live create) is not overwritten either.
  const std::string created = "/registry/configmaps/dr-test/created";
  Put(primary_->client(), created, "source value");
  etcdsync::KeyDifference missed{etcdsync::KeyDifference::Kind::kMissed, created,
                                 [&] {
                                   etcd::pb::RangeRequest read;
                                   read.set_key(created);
                                   return primary_->client().Range(read)->kvs(0).mod_revision();
                                 }(),
                                 0};
  Put(standby_->client(), created, "live create");
  outcome = reconciler.Repair(missed, etcdsync::Fence{});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, etcdsync::Reconciler::Outcome::kLiveWon);
  EXPECT_EQ(Get(standby_->client(), created), "live create");

  // The source changed after the check's revision: live replication carries it.
  stale.destination_mod_revision = mod_revision(standby_->client());
  Put(primary_->client(), key, "source value 2");
  outcome = reconciler.Repair(stale, etcdsync::Fence{});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, etcdsync::Reconciler::Outcome::kSourceChanged);

  // As the check saw it on both sides: repaired.
  stale.source_mod_revision = mod_revision(primary_->client());
  outcome = reconciler.Repair(stale, etcdsync::Fence{});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, etcdsync::Reconciler::Outcome::kRepaired);
  EXPECT_EQ(Get(standby_->client(), key), "source value 2");
  EXPECT_EQ(stats.reconcile_repairs, 1);
}

// A stand-in for the standby's pod GC deletes every Pod bound to a node there. By default
// bound Pods are cluster-local: never written, never checked, so nothing fights the GC.
TEST_F(ReconcileTest, BoundPodsAreLeftToTheStandbysControllers) {
  const std::string bound = "/registry/pods/dr-test/web-1";
  const std::string pending = "/registry/pods/dr-test/web-2";
  const std::string standby_bound = "/registry/pods/dr-test/web-3";
  Put(primary_->client(), bound, kBoundPod);
  Put(standby_->client(), standby_bound, kBoundPod);  // e.g. left from an older sync
  auto sync = StartSync({"--check-interval", "1"});
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  const std::string base = MonitorBase(*sync);
  Put(primary_->client(), pending, kPendingPod);
  ASSERT_TRUE(WaitUntil([&] { return Get(standby_->client(), pending).has_value(); }));
  EXPECT_FALSE(Get(standby_->client(), bound).has_value());
  // Live: a bound Pod created, and the pending one bound by the active cluster's scheduler.
  const std::string live_bound = "/registry/pods/dr-test/web-4";
  Put(primary_->client(), live_bound, kBoundPod);
  Put(primary_->client(), pending, std::string(kBoundPod));
  const std::string marker = "/registry/configmaps/dr-test/after-the-pods";
  Put(primary_->client(), marker, "{}");
  ASSERT_TRUE(WaitUntil([&] { return Get(standby_->client(), marker).has_value(); }));
  EXPECT_FALSE(Get(standby_->client(), live_bound).has_value());
  EXPECT_EQ(Get(standby_->client(), pending), kPendingPod);  // the bind is not replicated
  // Pod GC on the standby, then several periodic checks.
  Delete(standby_->client(), standby_bound);
  const double passes = MetricOf(base, "etcd_sync_reconcile_passes_total");
  ASSERT_TRUE(WaitUntil(
      [&] { return MetricOf(base, "etcd_sync_reconcile_passes_total") >= passes + 2; }, 30s));
  EXPECT_FALSE(Get(standby_->client(), bound).has_value());
  EXPECT_EQ(MetricOf(base, "etcd_sync_reconcile_repairs_total"), 0);
  EXPECT_EQ(MetricOf(base, "etcd_sync_contested_keys"), 0);
  const HttpResponse check = HttpGet(base + "/check", "", "", 30);
  EXPECT_EQ(check.body.find("web-"), std::string::npos) << check.body;
  // Deleting the Pod on the active cluster deletes the standby's copy.
  Delete(primary_->client(), pending);
  EXPECT_TRUE(WaitUntil([&] { return !Get(standby_->client(), pending).has_value(); }));
}

// syncBoundPods: true syncs them as the literal docs reading does; the pod GC then deletes
// them on the standby again and again, and after contestedAfterRepairs repairs the key is
// reported as contested and left alone.
TEST_F(ReconcileTest, AKeyTheStandbyKeepsUndoingBecomesContested) {
  const std::string rules = dir_.File("rules.yaml");
  std::ofstream(rules) << "syncBoundPods: true\ncontestedAfterRepairs: 2\n";
  const std::string bound = "/registry/pods/dr-test/web-1";
  Put(primary_->client(), bound, kBoundPod);
  auto sync = StartSync({"--check-interval", "1", "--rules", rules});
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  const std::string base = MonitorBase(*sync);
  ASSERT_TRUE(WaitUntil([&] { return Get(standby_->client(), bound).has_value(); }));
  // The pod GC deletes the bound Pod whenever it shows up on the standby.
  ASSERT_TRUE(WaitUntil(
      [&] {
        if (Get(standby_->client(), bound).has_value()) Delete(standby_->client(), bound);
        return MetricOf(base, "etcd_sync_contested_keys") == 1;
      },
      60s))
      << sync->Log();
  EXPECT_EQ(MetricOf(base, "etcd_sync_reconcile_repairs_total"), 2);
  EXPECT_EQ(sync->CountInLog("is contested"), 1) << sync->Log();
  const HttpResponse check = HttpGet(base + "/check", "", "", 30);
  EXPECT_NE(check.body.find("LOCAL ETCD contested keys:\n" + bound + "\n"), std::string::npos)
      << check.body;
  // No longer repaired: further checks leave it missing.
  Delete(standby_->client(), bound);
  const double passes = MetricOf(base, "etcd_sync_reconcile_passes_total");
  ASSERT_TRUE(WaitUntil(
      [&] { return MetricOf(base, "etcd_sync_reconcile_passes_total") >= passes + 2; }, 30s));
  EXPECT_FALSE(Get(standby_->client(), bound).has_value());
  EXPECT_EQ(MetricOf(base, "etcd_sync_reconcile_repairs_total"), 2);
}

}  // namespace
}  // namespace testing_support
