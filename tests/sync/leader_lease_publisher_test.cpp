#include "sync/leader_lease_publisher.h"

#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <thread>

namespace etcdsync {
namespace {

const absl::Time kT0 = absl::FromUnixMicros(1'796'000'000'123'456);

// An API holding at most one Lease, with resourceVersion checks as kube-apiserver does them.
class FakeLeaseStore : public LeaseStore {
 public:
  absl::StatusOr<nlohmann::json> Get(const std::string& ns, const std::string& name) override {
    std::lock_guard lock(mutex_);
    ++gets;
    if (down) return absl::UnavailableError("GET leases: connection refused");
    if (!lease) return absl::NotFoundError("leases \"" + name + "\" not found in " + ns);
    return *lease;
  }
  absl::StatusOr<nlohmann::json> Create(const std::string& ns,
                                        const nlohmann::json& body) override {
    std::lock_guard lock(mutex_);
    if (down) return absl::UnavailableError("POST leases: connection refused");
    if (lease) return absl::AlreadyExistsError("leases already exists");
    EXPECT_EQ(body["metadata"]["namespace"], ns);
    return Store(body);
  }
  absl::StatusOr<nlohmann::json> Update(const std::string& ns,
                                        const nlohmann::json& body) override {
    std::lock_guard lock(mutex_);
    if (down) return absl::UnavailableError("PUT leases: connection refused");
    EXPECT_EQ(body["metadata"]["namespace"], ns);
    if (!lease) return absl::NotFoundError("not found");
    if (interfere > 0) {  // another writer changes the Lease between our read and write
      --interfere;
      (*lease)["metadata"]["resourceVersion"] = std::to_string(++version_);
    }
    if (body["metadata"].value("resourceVersion", "") != (*lease)["metadata"]["resourceVersion"]) {
      return absl::AbortedError("Operation cannot be fulfilled: the object has been modified");
    }
    return Store(body);
  }

  nlohmann::json Lease() {
    std::lock_guard lock(mutex_);
    return lease.value_or(nlohmann::json());
  }

  std::mutex mutex_;
  std::optional<nlohmann::json> lease;
  bool down = false;
  int interfere = 0;
  int64_t gets = 0;
  int64_t writes = 0;

 private:
  nlohmann::json Store(nlohmann::json body) {
    body["metadata"]["resourceVersion"] = std::to_string(++version_);
    lease = body;
    ++writes;
    return body;
  }
  int64_t version_ = 100;
};

// Waits (bounded, no timing claim) for what another thread does.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

LeaderLeaseOptions Options(const std::string& identity, absl::Time* now) {
  LeaderLeaseOptions options;
  options.identity = identity;
  options.ttl = std::chrono::seconds(3);
  options.now = [now] { return *now; };
  return options;
}

TEST(LeaderLeaseBody, MicroTimeIsRfc3339InUtcWithMicroseconds) {
  EXPECT_EQ(FormatMicroTime(kT0), "2026-11-30T00:53:20.123456Z");
  EXPECT_EQ(FormatMicroTime(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000000Z");
}

TEST(LeaderLeaseBody, ANewLeaseNamesTheHolderWithNoTransitions) {
  absl::Time now = kT0;
  const nlohmann::json lease = NextLeaseBody(std::nullopt, Options("etcd-sync-a", &now), kT0, now);
  EXPECT_EQ(lease["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(lease["kind"], "Lease");
  EXPECT_EQ(lease["metadata"]["name"], "etcd-sync-mirror");
  EXPECT_EQ(lease["metadata"]["namespace"], "cpaas-system");
  EXPECT_EQ(lease["spec"]["holderIdentity"], "etcd-sync-a");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 3);
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(lease["spec"]["acquireTime"], "2026-11-30T00:53:20.123456Z");
  EXPECT_EQ(lease["spec"]["renewTime"], "2026-11-30T00:53:20.123456Z");
  EXPECT_FALSE(lease["metadata"].contains("resourceVersion"));
}

TEST(LeaderLeaseBody, TheSameHolderRenewsKeepingAcquireTimeAndTransitions) {
  absl::Time now = kT0;
  nlohmann::json stored = NextLeaseBody(std::nullopt, Options("a", &now), kT0, now);
  stored["metadata"]["resourceVersion"] = "7";
  stored["metadata"]["labels"] = {{"team", "ops"}};
  stored["spec"]["leaseTransitions"] = 4;
  now = kT0 + absl::Seconds(1);
  const nlohmann::json renewed = NextLeaseBody(stored, Options("a", &now), kT0, now);
  EXPECT_EQ(renewed["metadata"]["resourceVersion"], "7");  // the update is conditional
  EXPECT_EQ(renewed["metadata"]["labels"]["team"], "ops");
  EXPECT_EQ(renewed["spec"]["leaseTransitions"], 4);
  EXPECT_EQ(renewed["spec"]["acquireTime"], "2026-11-30T00:53:20.123456Z");
  EXPECT_EQ(renewed["spec"]["renewTime"], "2026-11-30T00:53:21.123456Z");
}

TEST(LeaderLeaseBody, ANewHolderCountsATransitionAndItsOwnAcquireTime) {
  absl::Time now = kT0;
  nlohmann::json stored = NextLeaseBody(std::nullopt, Options("a", &now), kT0, now);
  stored["spec"]["leaseTransitions"] = 2;
  now = kT0 + absl::Seconds(5);
  const nlohmann::json taken = NextLeaseBody(stored, Options("b", &now), now, now);
  EXPECT_EQ(taken["spec"]["holderIdentity"], "b");
  EXPECT_EQ(taken["spec"]["leaseTransitions"], 3);
  EXPECT_EQ(taken["spec"]["acquireTime"], "2026-11-30T00:53:25.123456Z");

  // A Lease another tool left without a holder or with odd fields is taken over as well.
  nlohmann::json odd = {{"metadata", {{"name", "etcd-sync-mirror"}}},
                        {"spec", {{"leaseTransitions", "many"}, {"holderIdentity", 5}}}};
  const nlohmann::json fixed = NextLeaseBody(odd, Options("b", &now), now, now);
  EXPECT_EQ(fixed["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(fixed["spec"]["holderIdentity"], "b");
}

TEST(LeaderLeasePublisher, CreatesThenRenewsThenAnotherReplicaTakesOver) {
  FakeLeaseStore store;
  SyncStats stats;
  absl::Time now = kT0;
  LeaderLeasePublisher a(store, Options("a", &now), stats);
  ASSERT_TRUE(a.PublishOnce(kT0).ok());
  EXPECT_EQ(store.Lease()["spec"]["holderIdentity"], "a");
  EXPECT_EQ(stats.lease_published_unix_ms, absl::ToUnixMillis(kT0));
  now += absl::Seconds(1);
  ASSERT_TRUE(a.PublishOnce(kT0).ok());
  EXPECT_EQ(store.Lease()["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(store.Lease()["spec"]["renewTime"], FormatMicroTime(now));

  SyncStats stats_b;
  LeaderLeasePublisher b(store, Options("b", &now), stats_b);
  now += absl::Seconds(4);
  ASSERT_TRUE(b.PublishOnce(now).ok());
  EXPECT_EQ(store.Lease()["spec"]["holderIdentity"], "b");
  EXPECT_EQ(store.Lease()["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(stats_b.lease_transitions, 1);
  EXPECT_EQ(stats.lease_publish_failures + stats_b.lease_publish_failures, 0);

  // a, cut off from etcd but not yet aware its term ended, does not take the Lease back
  // with a renewal (no flapping, no extra transition); a new term of a would.
  absl::Status renewal = a.PublishOnce(kT0, /*take_over=*/false);
  EXPECT_TRUE(absl::IsFailedPrecondition(renewal)) << renewal;
  EXPECT_NE(renewal.message().find("taken over by b"), std::string::npos) << renewal;
  EXPECT_EQ(store.Lease()["spec"]["holderIdentity"], "b");
  EXPECT_EQ(store.Lease()["spec"]["leaseTransitions"], 1);
  ASSERT_TRUE(b.PublishOnce(now, /*take_over=*/false).ok());
  ASSERT_TRUE(a.PublishOnce(now).ok());
  EXPECT_EQ(store.Lease()["spec"]["leaseTransitions"], 2);
}

TEST(LeaderLeasePublisher, AConflictReadsTheLeaseAgain) {
  FakeLeaseStore store;
  SyncStats stats;
  absl::Time now = kT0;
  LeaderLeasePublisher a(store, Options("a", &now), stats);
  ASSERT_TRUE(a.PublishOnce(kT0).ok());
  store.interfere = 2;
  const int64_t gets = store.gets;
  ASSERT_TRUE(a.PublishOnce(kT0).ok());
  EXPECT_EQ(store.gets - gets, 3);  // read, conflict, read, conflict, read, written

  store.interfere = 100;  // someone keeps rewriting it: give up for this round, one line
  absl::Status busy = a.PublishOnce(kT0);
  EXPECT_TRUE(absl::IsAborted(busy)) << busy;
  EXPECT_NE(busy.message().find("cpaas-system/etcd-sync-mirror"), std::string::npos) << busy;
}

TEST(LeaderLeasePublisher, AnApiOutageIsAnErrorAndTheRenewalsCatchUp) {
  FakeLeaseStore store;
  SyncStats stats;
  absl::Time now = kT0;
  LeaderLeasePublisher a(store, Options("a", &now), stats);
  store.down = true;
  EXPECT_TRUE(absl::IsUnavailable(a.PublishOnce(kT0)));
  EXPECT_EQ(stats.lease_published_unix_ms, 0);

  // The renewing thread counts each failure and publishes once the API answers again.
  std::stop_source term;
  auto renewing = a.StartTerm(term.get_token());
  ASSERT_TRUE(Eventually([&] { return stats.lease_publish_failures >= 1; }));
  {
    std::lock_guard lock(store.mutex_);
    store.down = false;
  }
  ASSERT_TRUE(Eventually([&] { return stats.lease_published_unix_ms > 0; }));
  EXPECT_EQ(store.Lease()["spec"]["holderIdentity"], "a");

  // The term ends: no more renewals, and the Lease stays for the next leader.
  term.request_stop();
  renewing.reset();  // joins the renewing thread
  EXPECT_EQ(store.Lease()["spec"]["holderIdentity"], "a");
}

TEST(LeaderLeaseOptionsCheck, NamesMustBeKubernetesNames) {
  LeaderLeaseOptions options;
  EXPECT_TRUE(ValidateLeaderLeaseOptions(options).ok());
  options.name = "Etcd_Sync";
  absl::Status bad = ValidateLeaderLeaseOptions(options);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("--lease-name"), std::string::npos) << bad;
  options.name = "etcd-sync.mirror";
  options.ns = "cpaas.system";
  bad = ValidateLeaderLeaseOptions(options);
  EXPECT_NE(bad.message().find("--lease-namespace"), std::string::npos) << bad;
  options.ns = std::string(64, 'a');
  EXPECT_FALSE(ValidateLeaderLeaseOptions(options).ok());
  options.ns = "";
  EXPECT_FALSE(ValidateLeaderLeaseOptions(options).ok());
}

}  // namespace
}  // namespace etcdsync
