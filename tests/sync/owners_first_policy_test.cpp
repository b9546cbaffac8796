#include "sync/owners_first_policy.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/protobuf_test_values.h"
#include "sync/key_filter.h"

namespace etcdsync {
namespace {

Mutation Object(const std::string& key, const std::string& uid,
                const std::vector<std::string>& owners, int64_t revision, bool protobuf = false) {
  Mutation put;
  put.key = key;
  put.revision = revision;
  if (protobuf) {
    put.value = testing_values::ProtobufObject("v1", "Thing", key, "ns", uid, owners);
  } else {
    std::string refs;
    for (const auto& owner : owners) {
      refs += fmt::format("{}{{\"uid\":\"{}\"}}", refs.empty() ? "" : ",", owner);
    }
    put.value = fmt::format(R"({{"metadata":{{"uid":"{}","ownerReferences":[{}]}}}})", uid, refs);
  }
  return put;
}

std::vector<std::string> Describe(const std::vector<Mutation>& out) {
  std::vector<std::string> lines;
  for (const auto& m : out) {
    lines.push_back(fmt::format("{} {} @{}", m.kind == Mutation::Kind::kPut ? "put" : "del", m.key,
                                m.revision));
  }
  return lines;
}

class OwnersFirstPolicyTest : public ::testing::Test {
 protected:
  PrefixFilter filter_{"/registry/", {}};
  SyncStats stats_;
  OwnersFirstPolicy::Clock::time_point now_ = OwnersFirstPolicy::Clock::now();
  OwnersFirstPolicy policy_{"/registry/",
                            "/etcd-sync/",
                            filter_,
                            std::chrono::seconds(60),
                            TxnLimits{128, 64 * 1024},
                            stats_,
                            [this] { return now_; }};
};

TEST_F(OwnersFirstPolicyTest, DependentsWaitForTheirOwnersInTheWorstOrder) {
  auto out = policy_.Admit({Object("/registry/pods/ns/web-1", "u-pod", {"u-rs"}, 10, true)});
  EXPECT_EQ(Describe(out),
            (std::vector<std::string>{"put /etcd-sync/held//registry/pods/ns/web-1 @10"}));
  out = policy_.Admit({Object("/registry/replicasets/ns/web", "u-rs", {"u-deploy"}, 11)});
  EXPECT_EQ(Describe(out),
            (std::vector<std::string>{"put /etcd-sync/held//registry/replicasets/ns/web @11"}));
  EXPECT_EQ(stats_.held_objects, 2);

  out = policy_.Admit({Object("/registry/deployments/ns/web", "u-deploy", {}, 12)});
  EXPECT_EQ(Describe(out), (std::vector<std::string>{
                               "put /registry/deployments/ns/web @12",
                               "del /etcd-sync/held//registry/replicasets/ns/web @12",
                               "put /registry/replicasets/ns/web @12",
                               "del /etcd-sync/held//registry/pods/ns/web-1 @12",
                               "put /registry/pods/ns/web-1 @12",
                           }));
  EXPECT_EQ(stats_.held_objects, 0);
  EXPECT_EQ(policy_.held(), 0u);
}

TEST_F(OwnersFirstPolicyTest, OwnersAlreadyPresentPassStraightThrough) {
  policy_.Admit({Object("/registry/deployments/ns/web", "u-deploy", {}, 5)});
  auto out = policy_.Admit({Object("/registry/replicasets/ns/web", "u-rs", {"u-deploy"}, 6),
                            Object("/registry/pods/ns/p", "u-pod", {"u-rs"}, 6)});
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"put /registry/replicasets/ns/web @6",
                                                     "put /registry/pods/ns/p @6"}));
}

TEST_F(OwnersFirstPolicyTest, DeletingAHeldObjectForgetsIt) {
  policy_.Admit({Object("/registry/pods/ns/p", "u-pod", {"u-rs"}, 7)});
  Mutation remove;
  remove.kind = Mutation::Kind::kDelete;
  remove.key = "/registry/pods/ns/p";
  remove.revision = 8;
  auto out = policy_.Admit({remove});
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"del /etcd-sync/held//registry/pods/ns/p @8",
                                                     "del /registry/pods/ns/p @8"}));
  out = policy_.Admit({Object("/registry/replicasets/ns/rs", "u-rs", {}, 9)});
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"put /registry/replicasets/ns/rs @9"}));
}

TEST_F(OwnersFirstPolicyTest, ReleasedAnywayAfterTheTimeout) {
  policy_.Admit({Object("/registry/pods/ns/orphan", "u-pod", {"u-never"}, 3)});
  EXPECT_TRUE(policy_.Tick(20).empty());
  now_ += std::chrono::seconds(61);
  auto out = policy_.Tick(20);
  EXPECT_EQ(Describe(out),
            (std::vector<std::string>{"del /etcd-sync/held//registry/pods/ns/orphan @20",
                                      "put /registry/pods/ns/orphan @20"}));
  EXPECT_EQ(stats_.held_released_on_timeout, 1);
}

TEST_F(OwnersFirstPolicyTest, FullSyncRetiresHeldKeysTheSourceNoLongerHas) {
  policy_.Admit({Object("/registry/pods/ns/gone", "u-1", {"u-x"}, 1),
                 Object("/registry/pods/ns/kept", "u-2", {"u-x"}, 1)});
  policy_.BeginFullSync();
  policy_.Admit({Object("/registry/pods/ns/kept", "u-2", {"u-x"}, 0)});
  auto out = policy_.EndFullSync();
  EXPECT_EQ(Describe(out),
            (std::vector<std::string>{"del /etcd-sync/held//registry/pods/ns/gone @0"}));
  EXPECT_EQ(policy_.held(), 1u);
}

// A full sync of 1M objects used to remember every key (~100 MiB); only held keys matter.
TEST_F(OwnersFirstPolicyTest, FullSyncRemembersOnlyHeldKeys) {
  policy_.Admit({Object("/registry/pods/ns/held-before", "u-1", {"u-x"}, 1)});
  policy_.BeginFullSync();
  std::vector<Mutation> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.push_back(
        Object(fmt::format("/registry/configmaps/ns/c{}", i), fmt::format("c{}", i), {}, 0));
  }
  batch.push_back(Object("/registry/pods/ns/held-before", "u-1", {"u-x"}, 0));
  batch.push_back(Object("/registry/pods/ns/held-during", "u-2", {"u-y"}, 0));
  policy_.Admit(std::move(batch));
  EXPECT_EQ(policy_.remembered_in_full_sync(), 2u);
  EXPECT_TRUE(policy_.EndFullSync().empty());  // both held keys are still on the source
  EXPECT_EQ(policy_.held(), 2u);
}

Mutation Deletion(const std::string& key, int64_t revision) {
  Mutation remove;
  remove.kind = Mutation::Kind::kDelete;
  remove.key = key;
  remove.revision = revision;
  return remove;
}

// A deleted owner no longer counts as present: a dependent naming it waits again (the
// standby's garbage collector would delete it), and its UID is dropped from memory.
TEST_F(OwnersFirstPolicyTest, DeletedOwnersAreDropped) {
  policy_.Admit({Object("/registry/replicasets/ns/web", "u-rs", {}, 1)});
  EXPECT_EQ(policy_.present().size(), 1u);
  policy_.Admit({Deletion("/registry/replicasets/ns/web", 2)});
  EXPECT_EQ(policy_.present().size(), 0u);
  auto out = policy_.Admit({Object("/registry/pods/ns/web-1", "u-pod", {"u-rs"}, 3)});
  EXPECT_EQ(Describe(out),
            (std::vector<std::string>{"put /etcd-sync/held//registry/pods/ns/web-1 @3"}));

  // A key re-created with a new UID: only the new one is present.
  policy_.Admit({Object("/registry/configmaps/ns/c", "u-old", {}, 4)});
  policy_.Admit({Object("/registry/configmaps/ns/c", "u-new", {}, 5)});
  EXPECT_EQ(policy_.Admit({Object("/registry/pods/ns/a", "u-a", {"u-old"}, 6)}).size(), 1u);
  EXPECT_EQ(policy_.held(), 2u);  // web-1 and a wait
  EXPECT_EQ(Describe(policy_.Admit({Object("/registry/pods/ns/b", "u-b", {"u-new"}, 7)})),
            (std::vector<std::string>{"put /registry/pods/ns/b @7"}));
}

// Objects come and go (Pods of Jobs, ReplicaSets): the index follows the live objects.
TEST_F(OwnersFirstPolicyTest, ChurnKeepsTheIndexAtTheLiveObjects) {
  int64_t revision = 0;
  for (int i = 0; i < 20000; ++i) {
    policy_.Admit({Object(fmt::format("/registry/pods/ns/job-{}", i), fmt::format("u-{}", i), {},
                          ++revision)});
    if (i >= 100)
      policy_.Admit({Deletion(fmt::format("/registry/pods/ns/job-{}", i - 100), ++revision)});
  }
  EXPECT_EQ(policy_.present().size(), 100u);
  EXPECT_LT(policy_.present().ApproximateBytes(), 100u * 1024);
}

TEST_F(OwnersFirstPolicyTest, OpaqueValuesAreNeverHeld) {
  Mutation encrypted;
  encrypted.key = "/registry/secrets/ns/s";
  encrypted.value = "k8s:enc:aescbc:v1:key1:\x01\x02\x03";
  encrypted.revision = 4;
  auto out = policy_.Admit({encrypted});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, encrypted.value);
}

// A held copy is written with the checkpoint; one too large for that Txn would be lost,
// so such an object is written at once instead (the limits here are 64 KiB).
TEST_F(OwnersFirstPolicyTest, ObjectsTooLargeToHoldAreWrittenAtOnce) {
  Mutation big = Object("/registry/pods/ns/big", "u-1", {"u-missing"}, 3);
  big.value.append(70 * 1024, ' ');  // still valid JSON: trailing white space
  auto out = policy_.Admit({big});
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"put /registry/pods/ns/big @3"}));
  EXPECT_EQ(policy_.held(), 0u);
  EXPECT_EQ(stats_.too_large_to_hold, 1);
}

}  // namespace
}  // namespace etcdsync
