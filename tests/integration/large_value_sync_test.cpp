// Values at the edge of etcd's request limit, on a real etcd pair: every value the source
// accepts replicates (initial copy and live, held for an owner or not), and a value the
// destination truly cannot take is reported while everything else goes on replicating.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "etcd_sync_fixture.h"
#include "support/http_get.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

// A Kubernetes-shaped object whose owner is not on the standby (so it would be held),
// padded with trailing white space to exactly `size` bytes.
std::string PaddedObject(const std::string& name, size_t size) {
  nlohmann::json object = {
      {"kind", "ConfigMap"},
      {"metadata",
       {{"name", name},
        {"namespace", "tenant"},
        {"uid", "uid-" + name},
        {"ownerReferences", {{{"kind", "Owner"}, {"uid", "owner-not-synced"}}}}}}};
  std::string text = object.dump();
  if (text.size() < size) text.append(size - text.size(), ' ');
  return text;
}

// What kube-apiserver sends for a create: compare (not there yet), put, else get.
etcd::pb::TxnRequest ApiServerStyleCreate(const std::string& key, const std::string& value) {
  etcd::pb::TxnRequest txn;
  auto* compare = txn.add_compare();
  compare->set_key(key);
  compare->set_target(etcd::pb::Compare::MOD);
  compare->set_result(etcd::pb::Compare::EQUAL);
  compare->set_mod_revision(0);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  txn.add_failure()->mutable_request_range()->set_key(key);
  return txn;
}

// The largest object the source accepts under `key` through an apiserver-style Txn
// (binary search: each probe is refused before it is stored, or stored and deleted).
size_t LargestAccepted(etcd::Client& client, const std::string& key) {
  size_t good = 1'000'000, bad = 1'600'000;
  while (bad - good > 1) {
    const size_t mid = (good + bad) / 2;
    auto done = client.Txn(ApiServerStyleCreate(key, std::string(mid, 'x')));
    if (done.ok()) {
      good = mid;
      etcd::pb::DeleteRangeRequest remove;
      remove.set_key(key);
      EXPECT_TRUE(client.DeleteRange(remove).ok());
    } else {
      EXPECT_TRUE(absl::StrContains(done.status().message(), "too large")) << done.status();
      bad = mid;
    }
  }
  return good;
}

std::string MonitorUrl(ChildProcess& sync) {
  EXPECT_TRUE(sync.WaitForLog("etcd-sync-monitor listening on 127.0.0.1:", 20s)) << sync.Log();
  const std::string log = sync.Log();
  const std::string marker = "etcd-sync-monitor listening on 127.0.0.1:";
  const size_t at = log.find(marker) + marker.size();
  size_t end = at;
  while (end < log.size() && isdigit(static_cast<unsigned char>(log[end]))) ++end;
  return "http://127.0.0.1:" + log.substr(at, end - at);
}

int64_t Metric(const std::string& base, const std::string& name) {
  const std::string body = HttpGet(base + "/metrics").body;
  const size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + name.size() + 2));
}

class LargeValueSyncTest : public EtcdSyncTest {};

TEST_F(LargeValueSyncTest, EveryValueTheSourceAcceptsReplicatesInCopyAndLive) {
  // Both keys have the same length, so the same largest object fits under each.
  const size_t largest = LargestAccepted(primary_->client(), "/registry/configmaps/tenant/copied");
  ASSERT_GT(largest, 1'500'000u);
  // Before etcd-sync starts: the initial copy carries it.
  ASSERT_TRUE(primary_->client()
                  .Txn(ApiServerStyleCreate("/registry/configmaps/tenant/copied",
                                            PaddedObject("copied", largest)))
                  .ok());
  auto sync = StartSync();
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  // Live: the same size again, then an ordinary key behind it.
  ASSERT_TRUE(primary_->client()
                  .Txn(ApiServerStyleCreate("/registry/configmaps/tenant/live00",
                                            PaddedObject("live00", largest)))
                  .ok());
  Put(primary_->client(), "/registry/configmaps/tenant/after", "{}");
  auto diff = WaitEqual(60s);
  EXPECT_TRUE(diff.equal()) << diff.Summary();
  EXPECT_TRUE(sync->Running()) << sync->Log();
  const std::string monitor = MonitorUrl(*sync);
  EXPECT_EQ(Metric(monitor, "etcd_sync_unwritable_values_total"), 0);
  // Both were too large to be held for their (never synced) owner: written at once.
  EXPECT_EQ(Metric(monitor, "etcd_sync_too_large_to_hold_total"), 2);

  // A restart resumes from a checkpoint that is not ahead of the data.
  sync->Terminate();
  ASSERT_TRUE(sync->WaitExit(20s).has_value());
  auto again = StartSync({}, "sync2.log");
  ASSERT_TRUE(again->WaitForLog("Start Sync update", 60s)) << again->Log();
  Put(primary_->client(), "/registry/configmaps/tenant/after-restart", "{}");
  EXPECT_TRUE(WaitEqual(60s).equal());
}

TEST_F(LargeValueSyncTest, ValueTheDestinationCannotTakeIsReportedAndReplicationGoesOn) {
  // A standby whose etcd takes at most 1 MiB per request, while etcd-sync is told the
  // default 1.5 MiB (the operator's mismatch).
  standby_.reset();
  setenv("ETCD_MAX_REQUEST_BYTES", "1048576", 1);
  standby_ = std::make_unique<EtcdMember>(dir_.path(), "small-standby");
  unsetenv("ETCD_MAX_REQUEST_BYTES");

  auto sync = StartSync();
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  const std::string monitor = MonitorUrl(*sync);
  Put(primary_->client(), "/registry/configmaps/tenant/too-big", std::string(1'200'000, 'x'));
  // One source revision of three 400 kB values: over the standby's limit as one Txn, so it
  // is split, and every part lands.
  etcd::pb::TxnRequest three;
  for (int i = 0; i < 3; ++i) {
    auto* put = three.add_success()->mutable_request_put();
    put->set_key("/registry/configmaps/tenant/part-" + std::to_string(i));
    put->set_value(std::string(400'000, 'a' + i));
  }
  ASSERT_TRUE(primary_->client().Txn(three).ok());
  Put(primary_->client(), "/registry/configmaps/tenant/after", "{}");

  ASSERT_TRUE(WaitUntil(
      [&] { return Get(standby_->client(), "/registry/configmaps/tenant/after").has_value(); },
      60s))
      << sync->Log();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Get(standby_->client(), "/registry/configmaps/tenant/part-" + std::to_string(i)),
              std::string(400'000, 'a' + i));
  }
  EXPECT_FALSE(Get(standby_->client(), "/registry/configmaps/tenant/too-big").has_value());
  EXPECT_TRUE(sync->Running()) << sync->Log();
  EXPECT_EQ(sync->CountInLog("/registry/configmaps/tenant/too-big (1200000 byte value) cannot be "
                             "written to the destination"),
            1)
      << sync->Log();
  EXPECT_EQ(Metric(monitor, "etcd_sync_unwritable_values_total"), 1);
  // /check names it among the keys the standby misses.
  const std::string check = HttpGet(monitor + "/check").body;
  const size_t missed = check.find("LOCAL ETCD missed keys:");
  const size_t surplus = check.find("LOCAL ETCD surplus keys:");
  const size_t at = check.find("/registry/configmaps/tenant/too-big");
  EXPECT_TRUE(missed != std::string::npos && at > missed && at < surplus) << check;
}

}  // namespace
}  // namespace testing_support
