#include "etcd/key_range.h"

#include <gtest/gtest.h>

namespace etcd {
namespace {

TEST(KeyRangeTest, PrefixRangeEnd) {
  EXPECT_EQ(PrefixRangeEnd("/registry/"), "/registry0");
  EXPECT_EQ(PrefixRangeEnd("a\xff"), "b");
  EXPECT_EQ(PrefixRangeEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixRangeEnd("\xff\xff"), std::string(1, '\0'));
}

TEST(KeyRangeTest, SuccessorIsNextKey) {
  EXPECT_EQ(KeySuccessor("a"), std::string("a\0", 2));
  EXPECT_LT(std::string("a"), KeySuccessor("a"));
  EXPECT_LT(KeySuccessor("a"), std::string("a\x01"));
}

}  // namespace
}  // namespace etcd
