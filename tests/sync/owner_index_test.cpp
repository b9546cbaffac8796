// The owners index: UIDs by key, deleted ones dropped, and its size at 1M UIDs (measured
// with mallinfo2, printed for the README; bounded here so a regression shows).
#include "sync/owner_index.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <iostream>
#include <string>

namespace etcdsync {
namespace {

std::string Key(int i) { return "/registry/pods/ns/p" + std::to_string(i); }

// Bytes malloc handed out, small blocks and mmapped ones (the tables are large).
int64_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

TEST(OwnerIndexTest, PutReplacesAndDeleteDrops) {
  OwnerIndex index;
  EXPECT_TRUE(index.Put("/registry/a", 1));
  EXPECT_FALSE(index.Put("/registry/a", 1));  // the same object again
  EXPECT_TRUE(index.Contains(1));
  EXPECT_TRUE(index.Put("/registry/a", 2));  // re-created: a new UID
  EXPECT_FALSE(index.Contains(1));
  EXPECT_TRUE(index.Contains(2));
  index.Delete("/registry/a");
  EXPECT_FALSE(index.Contains(2));
  EXPECT_EQ(index.size(), 0u);
  index.Delete("/registry/never-seen");
  EXPECT_EQ(index.size(), 0u);
}

TEST(OwnerIndexTest, SizeAtAMillionUidsAndBackToNothing) {
  constexpr int kUids = 1000000;
  const int64_t before = HeapInUse();
  OwnerIndex index;
  for (int i = 0; i < kUids; ++i) index.Put(Key(i), 0x9e3779b97f4a7c15ULL * (i + 1));
  ASSERT_EQ(index.size(), static_cast<size_t>(kUids));
  // The tables' own count, whatever the allocator: (16 + 1) and (8 + 1) bytes per slot,
  // at most 16/7 slots per UID (a table grows at 7/8 full, doubling).
  EXPECT_LE(index.ApproximateBytes(), size_t{kUids} * (17 + 9) * 16 / 7);
  const int64_t used = HeapInUse() - before;
  const size_t tables = index.ApproximateBytes();
  index.Clear();
  EXPECT_EQ(index.ApproximateBytes(), 0u);
  if (used <= 0) {
    GTEST_SKIP() << "malloc is replaced (a sanitizer build): mallinfo2 cannot measure";
  }
  const double per_uid = static_cast<double>(used) / kUids;
  std::cout << "owners index at 1M UIDs: " << used / (1024 * 1024) << " MiB, " << per_uid
            << " bytes/UID (tables: " << tables / (1024 * 1024) << " MiB)\n";
  // Two flat tables of 64-bit hashes: 30-55 bytes/UID with their load (1M is a worst
  // point: both tables just doubled). The set it replaces took 44 and never shrank.
  EXPECT_LE(per_uid, 64);
  EXPECT_LT(HeapInUse() - before, 1024 * 1024);
}

TEST(OwnerIndexTest, ChurnOfAMillionUidsStaysAtTheLiveOnes) {
  OwnerIndex index;
  for (int i = 0; i < 1000000; ++i) {
    index.Put(Key(i), i + 1);
    if (i >= 1000) index.Delete(Key(i - 1000));
  }
  EXPECT_EQ(index.size(), 1000u);
  EXPECT_LT(index.ApproximateBytes(), 1000u * 128);
}

}  // namespace
}  // namespace etcdsync
