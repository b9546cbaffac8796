// The leader Lease as the docs verify it (issue 16, acp-spec §8.4): two etcd-sync replicas
// between real etcds publish the leader as Lease cpaas-system/etcd-sync-mirror on the
// standby's API (the TEST STAND-IN on the standby etcd), real kubectl names the leader,
// kill -9 of the leader moves the Lease and its successor's reconcile pass repairs a key
// deleted on the standby while keeping a standby-only one, and an API outage stops neither
// replication nor, once the API is back, the Lease; a rotated token is read again after a 401.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "apiserver/platform_table.h"
#include "etcd_sync_fixture.h"
#include "integration/kubectl_runner.h"
#include "support/etcd_member.h"
#include "support/http_get.h"
#include "support/monitor_scrape.h"
#include "sync/leader_lease_publisher.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

class EtcdSyncLeaseTest : public EtcdSyncTest {
 protected:
  void SetUp() override {
    if (!HaveKubectl()) GTEST_SKIP() << "kubectl not installed (apt-get install kubernetes-client)";
    kube_ = std::make_unique<KubectlRunner>(standby_->client(), apiserver::PlatformResourceTable(),
                                            dir_.File("kube"));
    ASSERT_TRUE(kube_->Start().ok());
  }

  std::unique_ptr<ChildProcess> Replica(const std::string& identity) {
    return StartSync({"--identity", identity, "--kubeconfig", kube_->kubeconfig()},
                     identity + ".log");
  }

  // `kubectl -n cpaas-system get lease etcd-sync-mirror -o jsonpath=...` ("" on error).
  std::string LeaseField(const std::string& path) {
    KubectlRun ran =
        kube_->Run("-n cpaas-system get lease etcd-sync-mirror -o jsonpath='{" + path + "}'");
    return ran.exit_code == 0 ? ran.output : "";
  }

  // The primary and the standby agree on the keys this test writes (the standby also holds
  // its own Lease, which is not replicated).
  bool SameConfigMaps() {
    auto diff =
        workload::DiffKeyspaces(primary_->client(), standby_->client(), "/registry/configmaps/");
    return diff.ok() && diff->equal();
  }

  std::unique_ptr<KubectlRunner> kube_;
};

TEST_F(EtcdSyncLeaseTest, TheLeaseNamesTheLeaderFollowsAKillAndCatchesUpAfterAnOutage) {
  // A --kubeconfig that cannot be read is a bad flag (exit 2), before anything runs.
  std::ofstream(dir_.File("bad-kubeconfig")) << "not: [a kubeconfig";
  ChildProcess bad(SyncArgv({"--kubeconfig", dir_.File("bad-kubeconfig")}), dir_.File("bad.log"));
  EXPECT_EQ(bad.WaitExit(20s), std::optional<int>(2)) << bad.Log();
  EXPECT_EQ(bad.CountInLog("--kubeconfig"), 1) << bad.Log();

  // A rotated token: after a 401 the kubeconfig (or service account token) is read again.
  std::stringstream kubeconfig;
  kubeconfig << std::ifstream(kube_->kubeconfig()).rdbuf();
  const std::string rotating = dir_.File("rotating-kubeconfig");
  std::ofstream(rotating) << std::regex_replace(kubeconfig.str(), std::regex("kubectl-token"),
                                                "expired-token");
  auto store = etcdsync::MakeRestLeaseStore([&] { return k8s::LoadKubeconfig(rotating); }, 5s);
  absl::Status refused = store->Get("cpaas-system", "etcd-sync-mirror").status();
  EXPECT_TRUE(absl::IsUnauthenticated(refused)) << refused;
  std::ofstream(rotating) << kubeconfig.str();
  absl::Status absent = store->Get("cpaas-system", "etcd-sync-mirror").status();
  EXPECT_TRUE(absl::IsNotFound(absent)) << absent;  // read with the new token

  Load(60);
  auto a = Replica("etcd-sync-a");
  ASSERT_TRUE(a->WaitForLog("Acquired leader lease", 20s)) << a->Log();
  auto b = Replica("etcd-sync-b");

  // kubectl names the leader; its log has the lines the docs tell operators to look for.
  ASSERT_TRUE(WaitUntil([&] { return LeaseField(".spec.holderIdentity") == "etcd-sync-a"; }, 20s))
      << LeaseField("") << a->Log();
  EXPECT_TRUE(a->WaitForLog("Start Sync update", 30s)) << a->Log();
  ASSERT_TRUE(WaitUntil([&] { return SameConfigMaps(); }, 30s));
  EXPECT_EQ(LeaseField(".spec.leaseTransitions"), "0");
  EXPECT_EQ(LeaseField(".spec.leaseDurationSeconds"), "3");
  EXPECT_TRUE(std::regex_match(LeaseField(".spec.renewTime"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << LeaseField(".spec.renewTime");
  EXPECT_EQ(b->CountInLog("Acquired leader lease"), 0) << b->Log();
  EXPECT_EQ(b->CountInLog("published Lease"), 0) << b->Log();  // only the leader publishes
  const std::string base = MonitorBase(*a);
  ASSERT_FALSE(base.empty());

  // The standby's API goes away: replication goes on, the outage is logged once and counted.
  const std::string renewed_before_outage = LeaseField(".spec.renewTime");
  kube_->Stop();
  Put(primary_->client(), "/registry/configmaps/lease-test/during-outage", "v1");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Get(standby_->client(), "/registry/configmaps/lease-test/during-outage").has_value();
      },
      20s));
  ASSERT_TRUE(a->WaitForLog("cannot publish the leader Lease cpaas-system/etcd-sync-mirror", 10s))
      << a->Log();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Metric(HttpGet(base + "/metrics", "", "", 10).body,
                      "etcd_sync_leader_lease_publish_failures_total")
                   .value_or(0) >= 2;
      },
      10s));
  EXPECT_EQ(a->CountInLog("cannot publish the leader Lease"), 1) << a->Log();

  // The API is back: the Lease catches up (renewed after the outage), and says so once.
  EXPECT_EQ(LeaseField(".spec.renewTime"), "");  // kubectl cannot reach the API either
  ASSERT_TRUE(kube_->Restart().ok());
  ASSERT_TRUE(a->WaitForLog("again (holder etcd-sync-a)", 10s)) << a->Log();
  EXPECT_EQ(LeaseField(".spec.holderIdentity"), "etcd-sync-a");
  EXPECT_EQ(LeaseField(".spec.leaseTransitions"), "0");
  EXPECT_GT(LeaseField(".spec.renewTime"), renewed_before_outage);
  const std::string metrics = HttpGet(base + "/metrics", "", "", 10).body;
  EXPECT_GT(Metric(metrics, "etcd_sync_leader_lease_last_publish_timestamp_seconds").value_or(0),
            1.7e9)
      << metrics;
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    std::ofstream(dir_.File("metrics.txt")) << metrics;
    EXPECT_NO_THROW(RunScript("promtool check metrics < '" + dir_.File("metrics.txt") + "'"))
        << metrics;
  }

  // Keys missed on the standby before the leader restarts (§8.6): one deleted there, and one
  // that only the standby has. The docs' remedy is restarting the leader pod.
  const std::string missed = "/registry/configmaps/lease-test/during-outage";
  const std::string standby_only = "/registry/configmaps/lease-test/standby-only";
  Delete(standby_->client(), missed);
  Put(standby_->client(), standby_only, "kept");

  // kill -9 of the leader: the other replica wins the etcd election within the TTL and takes
  // the Lease over, one transition more.
  a->Kill();
  ASSERT_TRUE(b->WaitForLog("Acquired leader lease", 20s)) << b->Log();
  ASSERT_TRUE(WaitUntil([&] { return LeaseField(".spec.holderIdentity") == "etcd-sync-b"; }, 20s))
      << LeaseField("") << b->Log();
  EXPECT_EQ(LeaseField(".spec.leaseTransitions"), "1");
  EXPECT_TRUE(b->WaitForLog("Start Sync update", 30s)) << b->Log();

  // The new leader's reconcile pass brings the deleted key back and keeps the standby-only
  // key, which /check lists for the operator to review.
  ASSERT_TRUE(b->WaitForLog("Reconcile pass finished", 30s)) << b->Log();
  EXPECT_EQ(Get(standby_->client(), missed), std::optional<std::string>("v1"));
  EXPECT_EQ(Get(standby_->client(), standby_only), std::optional<std::string>("kept"));
  const std::string check = HttpGet(MonitorBase(*b) + "/check", "", "", 60).body;
  EXPECT_NE(check.find(standby_only), std::string::npos) << check;

  Delete(standby_->client(), standby_only);
  Put(primary_->client(), "/registry/configmaps/lease-test/after-kill", "v2");
  EXPECT_TRUE(WaitUntil([&] { return SameConfigMaps(); }, 30s));
}

}  // namespace
}  // namespace testing_support
