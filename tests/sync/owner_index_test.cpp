// The owners index: UIDs by key, deleted ones dropped, and its size at 1M UIDs (measured
// with mallinfo2, printed for the README; bounded here so a regression shows).
#include "sync/owner_index.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <string>

namespace etcdsync {
namespace {

std::string Key(int i) { return "/registry/pods/ns/p" + std::to_string(i); }

// Bytes malloc handed out, small blocks and mmapped ones (the tables are large).
size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
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
  const size_t before = HeapInUse();
  OwnerIndex index;
  for (int i = 0; i < kUids; ++i) index.Put(Key(i), 0x9e3779b97f4a7c15ULL * (i + 1));
  ASSERT_EQ(index.size(), static_cast<size_t>(kUids));
  const size_t used = HeapInUse() - before;
  const double per_uid = static_cast<double>(used) / kUids;
  std::cout << "owners index at 1M UIDs: " << used / (1024 * 1024) << " MiB, " << per_uid
            << " bytes/UID (tables: " << index.ApproximateBytes() / (1024 * 1024) << " MiB)\n";
  // Two flat tables of 64-bit hashes: 30-55 bytes/UID with their load (1M is a worst
  // point: both tables just doubled). The set it replaces took 44 and never shrank.
  EXPECT_LE(per_uid, 64);
  index.Clear();
  EXPECT_LT(HeapInUse() - before, 1024u * 1024);
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
