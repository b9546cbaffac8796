#include "common/version_compare.h"

#include <gtest/gtest.h>

namespace {

using common::CompareVersions;

TEST(VersionCompareTest, NumericPartsCompareAsNumbers) {
  EXPECT_LT(CompareVersions("4.2.9", "4.2.10"), 0);
  EXPECT_GT(CompareVersions("4.10.0", "4.9.9"), 0);
  EXPECT_EQ(CompareVersions("v4.3.0", "4.3.0"), 0);
  EXPECT_EQ(CompareVersions("4.3", "4.3.0"), 0);
}

TEST(VersionCompareTest, PreReleaseSortsBeforeItsRelease) {
  EXPECT_LT(CompareVersions("4.3.0-rc.1", "4.3.0"), 0);
  EXPECT_LT(CompareVersions("4.3.0-rc.1", "4.3.0-rc.2"), 0);
  EXPECT_GT(CompareVersions("4.3.0-rc.1", "4.2.9"), 0);
  EXPECT_EQ(CompareVersions("v1.32.3+build", "1.32.3"), 0);
}

TEST(VersionCompareTest, TextThatIsNotAVersionSortsAfterVersions) {
  EXPECT_LT(CompareVersions("4.3.0", "latest"), 0);
  EXPECT_GT(CompareVersions("4..3", "9.9"), 0);
}

}  // namespace
