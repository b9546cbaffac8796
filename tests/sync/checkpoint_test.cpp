#include "sync/checkpoint.h"

#include <gtest/gtest.h>

namespace etcdsync {
namespace {

TEST(CheckpointTest, RoundTrips) {
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 123456789012, "cdf818194e3a8c32", "/registry/"};
  auto decoded = DecodeCheckpoint(EncodeCheckpoint(checkpoint));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, checkpoint);
  checkpoint.phase = Checkpoint::Phase::kCopying;
  EXPECT_EQ(DecodeCheckpoint(EncodeCheckpoint(checkpoint)).value(), checkpoint);
}

TEST(CheckpointTest, KeepsTheSourceHistoryAndReadsOlderCheckpoints) {
  Checkpoint checkpoint{Checkpoint::Phase::kLive, 9000, "cdf818194e3a8c32", "/registry/", 7, 42};
  EXPECT_EQ(DecodeCheckpoint(EncodeCheckpoint(checkpoint)).value(), checkpoint);
  // Written before the history was recorded: 0, not compared.
  auto older = DecodeCheckpoint(
      R"({"phase":"live","revision":5,"sourceClusterID":"a","prefix":"/registry/"})");
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older->source_raft_term, 0);
  EXPECT_EQ(older->source_log_lead, 0);
}

TEST(CheckpointTest, RejectsDamage) {
  EXPECT_FALSE(DecodeCheckpoint("").ok());
  EXPECT_FALSE(DecodeCheckpoint("[]").ok());
  EXPECT_FALSE(DecodeCheckpoint(R"({"phase":"live"})").ok());
  EXPECT_FALSE(
      DecodeCheckpoint(R"({"phase":"paused","revision":1,"sourceClusterID":"a","prefix":"/"})")
          .ok());
}

}  // namespace
}  // namespace etcdsync
