// The monitor's record of source changes not applied yet: distinct keys, what the applied
// revision covers dropped, bounded however many changes or keys arrive.
#include "monitor/pending_changes.h"

#include <gtest/gtest.h>

#include <string>

namespace monitor {
namespace {

TEST(PendingChangesTest, CountsDistinctKeysUntilTheAppliedRevisionCoversThem) {
  PendingChanges pending(100);
  EXPECT_EQ(pending.keys(), 0);
  pending.Record("/registry/a", 11);
  pending.Record("/registry/b", 12);
  pending.Record("/registry/a", 13);  // a again: still two keys
  EXPECT_EQ(pending.keys(), 2);
  EXPECT_EQ(pending.newest_revision(), 13);

  pending.Forget(11);  // a's first change is applied, its second is not
  EXPECT_EQ(pending.keys(), 2);
  pending.Forget(12);
  EXPECT_EQ(pending.keys(), 1);
  EXPECT_EQ(pending.newest_revision(), 13);
  pending.Forget(13);
  EXPECT_EQ(pending.keys(), 0);
  EXPECT_EQ(pending.newest_revision(), 0);

  pending.Record("/registry/c", 20);
  pending.Clear();
  EXPECT_EQ(pending.keys(), 0);
}

TEST(PendingChangesTest, AKeyChangedOverAndOverHoldsOnePlace) {
  PendingChanges pending(100);
  pending.Record("/registry/hot", 1);
  const size_t one = pending.ApproximateBytes();
  for (int64_t revision = 2; revision <= 100000; ++revision)
    pending.Record("/registry/hot", revision);
  EXPECT_EQ(pending.keys(), 1);
  EXPECT_EQ(pending.ApproximateBytes(), one);
  pending.Forget(99999);
  EXPECT_EQ(pending.keys(), 1);
  pending.Forget(100000);
  EXPECT_EQ(pending.keys(), 0);
}

TEST(PendingChangesTest, BeyondItsBoundItCountsALowerBoundUntilTheRestIsApplied) {
  PendingChanges pending(1000);
  for (int64_t i = 1; i <= 5000; ++i) pending.Record("/registry/k" + std::to_string(i), i);
  EXPECT_EQ(pending.keys(), 1001);  // 1000 remembered, and more
  EXPECT_EQ(pending.newest_revision(), 5000);
  EXPECT_LT(pending.ApproximateBytes(), 1000u * 64);
  pending.Forget(1000);  // the remembered ones are applied; those that did not fit are not
  EXPECT_EQ(pending.keys(), 1);
  pending.Forget(5000);
  EXPECT_EQ(pending.keys(), 0);
}

}  // namespace
}  // namespace monitor
