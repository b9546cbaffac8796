// etcd-sync with Kubernetes data on a real etcd pair: default exclusions, owners before
// dependents in both encodings, lease-bound and encrypted values, and the
// etcd-sync-monitor's /check, /metrics, /healthz and /readyz.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "etcd_sync_fixture.h"
#include "k8s/object_meta.h"
#include "support/http_get.h"
#include "support/protobuf_test_values.h"
#include "workload/kube_keys.h"
#include "workload/loader.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

std::string Json(const std::string& kind, const std::string& ns, const std::string& name,
                 const std::string& uid, const std::vector<std::string>& owners = {}) {
  nlohmann::json refs = nlohmann::json::array();
  for (const auto& owner : owners) refs.push_back({{"kind", "Owner"}, {"uid", owner}});
  nlohmann::json object = {
      {"kind", kind},
      {"metadata", {{"name", name}, {"namespace", ns}, {"uid", uid}, {"ownerReferences", refs}}}};
  return object.dump();
}

class KubernetesSyncTest : public EtcdSyncTest {
 protected:
  std::string MonitorUrl(ChildProcess& sync) {
    EXPECT_TRUE(sync.WaitForLog("etcd-sync-monitor listening on", 20s)) << sync.Log();
    std::smatch match;
    const std::string log = sync.Log();
    static const std::regex kListening("etcd-sync-monitor listening on 127\\.0\\.0\\.1:(\\d+)");
    EXPECT_TRUE(std::regex_search(log, match, kListening)) << log;
    return "http://127.0.0.1:" + match[1].str();
  }

  // True when every object on the standby whose owners are known has them present.
  void ExpectNoOrphansOnStandby() {
    etcd::pb::RangeRequest all;
    all.set_key("/registry/");
    all.set_range_end("/registry0");
    auto response = standby_->client().Range(all);
    ASSERT_TRUE(response.ok());
    std::set<std::string> uids;
    std::vector<std::pair<std::string, std::vector<std::string>>> owned;
    for (const auto& kv : response->kvs()) {
      k8s::ObjectMeta meta = k8s::ReadObjectMeta(kv.value());
      if (!meta.uid.empty()) uids.insert(meta.uid);
      if (!meta.owner_uids.empty()) owned.emplace_back(kv.key(), meta.owner_uids);
    }
    for (const auto& [key, owners] : owned) {
      for (const auto& owner : owners) {
        EXPECT_TRUE(uids.contains(owner)) << key << " is on the standby before its owner " << owner;
      }
    }
  }

  int64_t Metric(const std::string& base, const std::string& name) {
    const std::string body = HttpGet(base + "/metrics").body;
    std::smatch match;
    std::regex line("\n" + name + " ([0-9.e+-]+)\n");
    if (!std::regex_search(body, match, line)) return -1;
    return static_cast<int64_t>(std::stod(match[1].str()));
  }
};

TEST_F(KubernetesSyncTest, DefaultExclusionsOwnersFirstLeasesAndEncryption) {
  // Initial copy in the worst order: pods sort before their ReplicaSets.
  Put(primary_->client(), "/registry/deployments/team-a/web",
      Json("Deployment", "team-a", "web", "u-deploy"));
  Put(primary_->client(), "/registry/pods/team-a/web-1",
      testing_values::ProtobufObject("v1", "Pod", "web-1", "team-a", "u-pod", {"u-rs"}));
  Put(primary_->client(), "/registry/replicasets/team-a/web-1a",
      Json("ReplicaSet", "team-a", "web-1a", "u-rs", {"u-deploy"}));
  const std::string encrypted = std::string("k8s:enc:aescbc:v1:key1:\x00\xff\x01\n", 27);
  Put(primary_->client(), "/registry/secrets/team-a/sealed", encrypted);
  for (const char* key : {"/registry/pods/kube-system/etcd-m1", "/registry/minions/m1",
                          "/registry/leases/team-a/lock", "/registry/namespaces/cpaas-system",
                          "/registry/configmaps/cpaas-system/c", "/registry/serviceips"}) {
    Put(primary_->client(), key, "cluster-local");
  }
  etcd::pb::PutRequest leased;
  leased.set_key("/registry/configmaps/team-a/leased");
  leased.set_value("ttl-bound");
  leased.set_lease(primary_->client().LeaseGrant(600).value().id());
  ASSERT_TRUE(primary_->client().Put(leased).ok());

  auto sync = StartSync();
  const std::string monitor = MonitorUrl(*sync);
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  ExpectNoOrphansOnStandby();
  EXPECT_TRUE(Get(standby_->client(), "/registry/pods/team-a/web-1").has_value());
  EXPECT_TRUE(Get(standby_->client(), "/registry/replicasets/team-a/web-1a").has_value());
  EXPECT_EQ(Get(standby_->client(), "/registry/secrets/team-a/sealed"), encrypted);
  EXPECT_EQ(Count(standby_->client(), "/registry/"), 4);  // nothing cluster-local, no lease key

  // Live, worst order: dependent, then its owner, then the owner's owner.
  Put(primary_->client(), "/registry/pods/team-b/api-1",
      Json("Pod", "team-b", "api-1", "u-pod2", {"u-rs2"}));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(Get(standby_->client(), "/registry/pods/team-b/api-1").has_value());
  EXPECT_EQ(Metric(monitor, "etcd_sync_held_objects"), 1);
  Put(primary_->client(), "/registry/replicasets/team-b/api-1a",
      testing_values::ProtobufObject("apps/v1", "ReplicaSet", "api-1a", "team-b", "u-rs2",
                                     {"u-deploy2"}));
  std::this_thread::sleep_for(300ms);
  ExpectNoOrphansOnStandby();
  EXPECT_EQ(Metric(monitor, "etcd_sync_held_objects"), 2);
  Put(primary_->client(), "/registry/deployments/team-b/api",
      Json("Deployment", "team-b", "api", "u-deploy2"));
  WaitUntil([&] { return Get(standby_->client(), "/registry/pods/team-b/api-1").has_value(); },
            20s);
  EXPECT_TRUE(Get(standby_->client(), "/registry/pods/team-b/api-1").has_value());
  ExpectNoOrphansOnStandby();
  EXPECT_EQ(Metric(monitor, "etcd_sync_held_objects"), 0);

  HttpResponse check = HttpGet(monitor + "/check");
  EXPECT_EQ(check.status, 200);
  EXPECT_EQ(check.body,
            "LOCAL ETCD missed keys:\nLOCAL ETCD surplus keys:\nLOCAL ETCD stale keys:\n");
  EXPECT_EQ(HttpGet(monitor + "/readyz").status, 200);
  EXPECT_EQ(HttpGet(monitor + "/healthz").status, 200);
  EXPECT_GE(Metric(monitor, "etcd_sync_lease_keys_skipped_total"), 1);
  EXPECT_EQ(Metric(monitor, "etcd_sync_leader"), 1);
}

TEST_F(KubernetesSyncTest, CheckFindsExactlyTheInjectedDrift) {
  Load(2000);
  auto sync = StartSync();
  const std::string monitor = MonitorUrl(*sync);
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  auto equal = WaitEqual();
  ASSERT_TRUE(equal.equal()) << equal.Summary();

  const std::string missing = workload::MakeSampleObject("/registry/", 10, 0).key;
  const std::string changed = workload::MakeSampleObject("/registry/", 11, 0).key;
  Delete(standby_->client(), missing);
  Put(standby_->client(), changed, "edited on the standby");
  Put(standby_->client(), "/registry/configmaps/team-z/extra", "only here");
  Put(standby_->client(), "/registry/configmaps/kube-system/own", "excluded: not reported");

  HttpResponse text = HttpGet(monitor + "/check");
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(text.body, fmt::format("LOCAL ETCD missed keys:\n{}\nLOCAL ETCD surplus keys:\n"
                                   "/registry/configmaps/team-z/extra\n"
                                   "LOCAL ETCD stale keys:\n{}\n",
                                   missing, changed));
  HttpResponse json = HttpGet(monitor + "/check?format=json");
  ASSERT_EQ(json.status, 200);
  auto parsed = nlohmann::json::parse(json.body);
  EXPECT_EQ(parsed["missed"]["count"], 1);
  EXPECT_EQ(parsed["surplus"]["count"], 1);
  EXPECT_EQ(parsed["stale"]["count"], 1);
  EXPECT_EQ(parsed["consistent"], false);
  EXPECT_EQ(parsed["sourceKeys"], 2000);
  EXPECT_EQ(HttpGet(monitor + "/check", "application/json").body.front(), '{');
}

TEST_F(KubernetesSyncTest, CheckReportsNothingWhileAWriterRunsFlatOut) {
  Load(3000);
  auto sync = StartSync({"--check-interval", "1"});
  const std::string monitor = MonitorUrl(*sync);
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  std::atomic<bool> writing{true};
  std::atomic<int> writes{0};
  std::jthread writer([&] {
    for (int i = 0; writing; ++i) {
      Load(50, 100000 + (i % 20) * 50, i);  // batched puts: new keys and rewrites
      Delete(primary_->client(), workload::MakeSampleObject("/registry/", i % 3000, 0).key);
      writes += 51;
    }
  });
  for (int round = 0; round < 5; ++round) {
    HttpResponse check = HttpGet(monitor + "/check?format=json");
    ASSERT_EQ(check.status, 200) << check.body;
    auto parsed = nlohmann::json::parse(check.body);
    EXPECT_EQ(parsed["consistent"], true) << check.body.substr(0, 2000);
  }
  writing = false;
  writer.join();
  EXPECT_GT(writes, 500);
  std::this_thread::sleep_for(2500ms);  // a periodic check ran meanwhile
  EXPECT_EQ(Metric(monitor, "etcd_sync_check_missed_keys"), 0);
  EXPECT_EQ(Metric(monitor, "etcd_sync_check_surplus_keys"), 0);
  EXPECT_EQ(Metric(monitor, "etcd_sync_check_stale_keys"), 0);
}

TEST_F(KubernetesSyncTest, HeldObjectSurvivesACrashAndTimesOutVisibly) {
  auto first = StartSync({"--hold-timeout", "4"});
  ASSERT_TRUE(first->WaitForLog("Start Sync update", 60s)) << first->Log();
  Put(primary_->client(), "/registry/pods/team-c/waits",
      Json("Pod", "team-c", "waits", "u-p", {"u-owner"}));
  Put(primary_->client(), "/registry/pods/team-c/orphan",
      Json("Pod", "team-c", "orphan", "u-o", {"u-never"}));
  std::this_thread::sleep_for(500ms);
  first->Kill();
  EXPECT_FALSE(Get(standby_->client(), "/registry/pods/team-c/waits").has_value());

  auto second = StartSync({"--hold-timeout", "4"}, "sync2.log");
  ASSERT_TRUE(second->WaitForLog("held back waiting for their owners", 30s)) << second->Log();
  Put(primary_->client(), "/registry/replicasets/team-c/owner",
      Json("ReplicaSet", "team-c", "owner", "u-owner"));
  WaitUntil([&] { return Get(standby_->client(), "/registry/pods/team-c/orphan").has_value(); },
            20s);
  EXPECT_TRUE(Get(standby_->client(), "/registry/pods/team-c/waits").has_value());
  EXPECT_TRUE(Get(standby_->client(), "/registry/pods/team-c/orphan").has_value());
  EXPECT_TRUE(second->WaitForLog("releasing /registry/pods/team-c/orphan", 1s)) << second->Log();
  EXPECT_EQ(Count(standby_->client(), "/etcd-sync/held/"), 0);
  auto diff = WaitEqual();
  EXPECT_TRUE(diff.equal()) << diff.Summary();
}

}  // namespace
}  // namespace testing_support
