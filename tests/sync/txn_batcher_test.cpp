#include "sync/txn_batcher.h"

#include <gtest/gtest.h>

namespace etcdsync {
namespace {

Mutation Put(std::string key, int64_t revision, size_t value_size = 10) {
  Mutation m;
  m.key = std::move(key);
  m.value = std::string(value_size, 'v');
  m.revision = revision;
  return m;
}

Mutation Delete(std::string key, int64_t revision) {
  Mutation m;
  m.kind = Mutation::Kind::kDelete;
  m.key = std::move(key);
  m.revision = revision;
  return m;
}

int64_t CheckpointRevision(const etcd::pb::TxnRequest& txn) {
  const auto& last = txn.success(txn.success_size() - 1).request_put();
  EXPECT_EQ(last.key(), "/etcd-sync/checkpoint");
  return DecodeCheckpoint(last.value()).value().revision;
}

const Fence kFence{"/etcd-sync/etcd-sync-mirror/abc", 42};

TEST(TxnBatcherTest, EveryTxnIsFenced) {
  std::vector<Mutation> copy;
  for (int i = 0; i < 300; ++i) copy.push_back(Put("/registry/k" + std::to_string(i), 0));
  TxnBatch batch = BuildTxns(copy, kFence, TxnLimits{128, 1 << 20});
  ASSERT_EQ(batch.txns.size(), 3u);  // 128 + 128 + 44: no checkpoint in copy Txns
  EXPECT_EQ(batch.txns[0].success_size(), 128);
  EXPECT_EQ(batch.txns[2].success_size(), 44);
  for (const auto& txn : batch.txns) {
    ASSERT_EQ(txn.compare_size(), 1);
    EXPECT_EQ(txn.compare(0).key(), kFence.leader_key);
    EXPECT_EQ(txn.compare(0).create_revision(), 42);
    EXPECT_EQ(txn.compare(0).target(), etcd::pb::Compare::CREATE);
  }
  EXPECT_TRUE(batch.split_revisions.empty());
}

TEST(TxnBatcherTest, RevisionsStayWholeAndCheckpointFollows) {
  // Revisions 10 (100 ops), 11 (100 ops): do not fit together in 128 ops.
  std::vector<Mutation> events;
  for (int i = 0; i < 100; ++i) events.push_back(Put("/registry/a" + std::to_string(i), 10));
  for (int i = 0; i < 100; ++i) events.push_back(Put("/registry/b" + std::to_string(i), 11));
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 0, "c1", "/registry/"};
  TxnBatch batch =
      BuildTxns(events, kFence, TxnLimits{128, 1 << 20}, "/etcd-sync/checkpoint", checkpoint, 9);
  ASSERT_EQ(batch.txns.size(), 2u);
  EXPECT_EQ(batch.txns[0].success_size(), 101);  // revision 10 + checkpoint
  EXPECT_EQ(CheckpointRevision(batch.txns[0]), 10);
  EXPECT_EQ(CheckpointRevision(batch.txns[1]), 11);
  EXPECT_TRUE(batch.split_revisions.empty());
}

TEST(TxnBatcherTest, OversizedRevisionIsSplitAndReported) {
  std::vector<Mutation> events;
  events.push_back(Put("/registry/before", 5));
  for (int i = 0; i < 300; ++i) events.push_back(Delete("/registry/d" + std::to_string(i), 6));
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 0, "c1", "/registry/"};
  TxnBatch batch =
      BuildTxns(events, kFence, TxnLimits{128, 1 << 20}, "/etcd-sync/checkpoint", checkpoint, 4);
  ASSERT_EQ(batch.split_revisions, std::vector<int64_t>{6});
  ASSERT_GE(batch.txns.size(), 3u);
  // Until revision 6 is wholly written, the checkpoint stays at 5: a crash replays all of 6.
  for (size_t i = 0; i + 1 < batch.txns.size(); ++i) {
    EXPECT_EQ(CheckpointRevision(batch.txns[i]), 5) << i;
    EXPECT_LE(batch.txns[i].success_size(), 128);
  }
  EXPECT_EQ(CheckpointRevision(batch.txns.back()), 6);
}

TEST(TxnBatcherTest, RespectsRequestBytes) {
  std::vector<Mutation> copy;
  for (int i = 0; i < 10; ++i) copy.push_back(Put("/registry/big" + std::to_string(i), 0, 300'000));
  TxnBatch batch = BuildTxns(copy, kFence, TxnLimits{128, 1'000'000});
  ASSERT_EQ(batch.txns.size(), 4u);  // 3 + 3 + 3 + 1 values of 300 kB under 1 MB
  for (const auto& txn : batch.txns) EXPECT_LT(txn.ByteSizeLong(), 1'000'000u);
}

TEST(TxnBatcherTest, SameKeyInCoalescedRevisionsKeepsTheLatest) {
  std::vector<Mutation> events = {Put("/registry/k", 7, 1), Delete("/registry/k", 8),
                                  Put("/registry/k", 9, 3)};
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 0, "c1", "/registry/"};
  TxnBatch batch =
      BuildTxns(events, kFence, TxnLimits{128, 1 << 20}, "/etcd-sync/checkpoint", checkpoint, 6);
  ASSERT_EQ(batch.txns.size(), 1u);
  ASSERT_EQ(batch.txns[0].success_size(), 2);  // one op for the key + checkpoint
  EXPECT_EQ(batch.txns[0].success(0).request_put().value(), "vvv");
  EXPECT_EQ(CheckpointRevision(batch.txns[0]), 9);
}

TEST(TxnBatcherTest, CheckpointOnlyTxn) {
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 77, "c1", "/registry/"};
  auto txn = BuildCheckpointTxn(kFence, "/etcd-sync/checkpoint", checkpoint);
  EXPECT_EQ(txn.compare_size(), 1);
  EXPECT_EQ(CheckpointRevision(txn), 77);
}

// A value near the destination's own request limit cannot share a Txn with the checkpoint:
// it goes alone (fenced, no checkpoint) and the checkpoint follows, never ahead of it.
TEST(TxnBatcherTest, ValueTooLargeForTheCheckpointGoesAloneAndTheCheckpointFollows) {
  const TxnLimits limits{128, 100'000};
  std::vector<Mutation> events = {Put("/registry/small", 5), Put("/registry/huge", 6, 99'500)};
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 0, "c1", "/registry/"};
  TxnBatch batch = BuildTxns(events, kFence, limits, "/etcd-sync/checkpoint", checkpoint, 4);
  ASSERT_EQ(batch.txns.size(), 3u);
  EXPECT_EQ(CheckpointRevision(batch.txns[0]), 5);  // the small put, checkpoint at 5
  const auto& solo = batch.txns[1];
  ASSERT_EQ(solo.compare_size(), 1);
  EXPECT_EQ(solo.compare(0).key(), kFence.leader_key);
  ASSERT_EQ(solo.success_size(), 1);  // the value alone: no checkpoint put
  EXPECT_EQ(solo.success(0).request_put().key(), "/registry/huge");
  ASSERT_EQ(batch.txns[2].success_size(), 1);  // then the checkpoint alone
  EXPECT_EQ(CheckpointRevision(batch.txns[2]), 6);
  EXPECT_TRUE(batch.split_revisions.empty());  // one op: no revision was split
}

TEST(TxnBatcherTest, TheTxnAfterASoloValueCarriesTheCheckpoint) {
  const TxnLimits limits{128, 100'000};
  std::vector<Mutation> events = {Put("/registry/huge", 6, 99'500), Put("/registry/after", 7)};
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 0, "c1", "/registry/"};
  TxnBatch batch = BuildTxns(events, kFence, limits, "/etcd-sync/checkpoint", checkpoint, 5);
  ASSERT_EQ(batch.txns.size(), 2u);
  EXPECT_EQ(batch.txns[0].success_size(), 1);
  EXPECT_EQ(batch.txns[1].success(0).request_put().key(), "/registry/after");
  EXPECT_EQ(CheckpointRevision(batch.txns[1]), 7);
}

TEST(TxnBatcherTest, HugeValueInsideAMultiKeyRevisionKeepsTheCheckpointBehind) {
  const TxnLimits limits{128, 100'000};
  std::vector<Mutation> events = {Put("/registry/a", 6), Put("/registry/huge", 6, 99'500),
                                  Put("/registry/b", 6)};
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 0, "c1", "/registry/"};
  TxnBatch batch = BuildTxns(events, kFence, limits, "/etcd-sync/checkpoint", checkpoint, 5);
  ASSERT_EQ(batch.split_revisions, std::vector<int64_t>{6});
  ASSERT_EQ(batch.txns.size(), 3u);
  EXPECT_EQ(CheckpointRevision(batch.txns[0]), 5);  // revision 6 not complete yet
  EXPECT_EQ(batch.txns[1].success_size(), 1);       // the huge one alone
  EXPECT_EQ(CheckpointRevision(batch.txns[2]), 6);
}

TEST(TxnBatcherTest, CopyTxnsOfHugeValuesHaveNoCheckpoint) {
  const TxnLimits limits{128, 100'000};
  std::vector<Mutation> copy = {Put("/registry/huge", 0, 99'500), Put("/registry/x", 0)};
  TxnBatch batch = BuildTxns(copy, kFence, limits);
  ASSERT_EQ(batch.txns.size(), 2u);
  for (const auto& txn : batch.txns) {
    for (const auto& op : txn.success()) EXPECT_NE(op.request_put().key(), "/etcd-sync/checkpoint");
  }
}

TEST(TxnBatcherTest, FitsBesideCheckpoint) {
  const TxnLimits limits{128, 100'000};
  EXPECT_TRUE(FitsBesideCheckpoint(Put("/registry/k", 1, 90'000), limits));
  EXPECT_FALSE(FitsBesideCheckpoint(Put("/registry/k", 1, 99'500), limits));
}

// Moving the mutations in builds the same Txns as copying them: the same key twice in one
// revision (the later op wins, in the first op's place), a put then a delete of one key, a value
// too large to share a Txn, and a revision split over Txns; the vector is left empty.
TEST(TxnBatcherTest, MovingBuildsTheSameTxnsAsCopying) {
  std::vector<Mutation> events;
  events.push_back(Put("/registry/a", 5));
  events.push_back(Put("/registry/b", 5));
  events.push_back(Put("/registry/a", 5, 20));  // the same key again: this value wins
  events.push_back(Put("/registry/c", 6));
  events.push_back(Delete("/registry/c", 6));
  events.push_back(Put("/registry/huge", 7, 5000));
  for (int i = 0; i < 300; ++i) events.push_back(Put("/registry/d" + std::to_string(i), 8));
  events.push_back(Put("/registry/d7", 8, 33));  // again, in a split revision
  const Checkpoint checkpoint{Checkpoint::Phase::kLive, 0, "c1", "/registry/"};
  const TxnLimits limits{128, 4096};
  for (const bool with_checkpoint : {false, true}) {
    SCOPED_TRACE(with_checkpoint);
    const std::string key = with_checkpoint ? "/etcd-sync/checkpoint" : "";
    const auto at = with_checkpoint ? std::optional<Checkpoint>(checkpoint) : std::nullopt;
    const TxnBatch copied = BuildTxns(events, kFence, limits, key, at, 4);
    std::vector<Mutation> moved_from = events;
    const TxnBatch moved = BuildTxns(std::move(moved_from), kFence, limits, key, at, 4);
    EXPECT_TRUE(moved_from.empty());
    ASSERT_EQ(moved.txns.size(), copied.txns.size());
    for (size_t i = 0; i < moved.txns.size(); ++i) {
      EXPECT_EQ(moved.txns[i].SerializeAsString(), copied.txns[i].SerializeAsString()) << i;
    }
    EXPECT_EQ(moved.split_revisions, copied.split_revisions);
    // The later op for "/registry/a" replaced the first, in its place.
    const auto& first = copied.txns[0].success(0).request_put();
    EXPECT_EQ(first.key(), "/registry/a");
    EXPECT_EQ(first.value(), std::string(20, 'v'));
    EXPECT_EQ(copied.txns[0].success(1).request_put().key(), "/registry/b");
  }
}

}  // namespace
}  // namespace etcdsync
