#include "sync/repeat_limiter.h"

#include <gtest/gtest.h>

namespace etcdsync {
namespace {

using namespace std::chrono_literals;

TEST(RepeatLimiterTest, ALastingConditionIsOneLineAMinuteWithACount) {
  RepeatLimiter limiter;
  const auto start = RepeatLimiter::Clock::time_point{} + 1h;
  const std::string nospace =
      "destination etcd http://10.0.0.1:2379: Txn: etcdserver: mvcc: database space exceeded";
  ASSERT_TRUE(limiter.Note(nospace, start).has_value());
  // Retries every 5 s, failing over between members: the same condition, not logged.
  int logged = 0;
  for (int i = 1; i < 12; ++i) {
    std::string member = nospace;
    member[34] = static_cast<char>('1' + i % 3);  // 10.0.0.1 / .2 / .3
    logged += limiter.Note(member, start + i * 5s).has_value();
  }
  EXPECT_EQ(logged, 0);
  auto line = limiter.Note(nospace, start + 60s);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(*line, nospace + " (seen 11 more times in the last 60 s)");
}

TEST(RepeatLimiterTest, AnotherConditionOrARecoveryIsLoggedAtOnce) {
  RepeatLimiter limiter;
  const auto start = RepeatLimiter::Clock::time_point{} + 1h;
  ASSERT_TRUE(limiter.Note("source unreachable", start).has_value());
  EXPECT_FALSE(limiter.Note("source unreachable", start + 1s).has_value());
  auto other = limiter.Note("destination out of space", start + 2s);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(*other, "destination out of space");
  limiter.Clear();  // a write succeeded in between
  EXPECT_TRUE(limiter.Note("destination out of space", start + 3s).has_value());
}

}  // namespace
}  // namespace etcdsync
