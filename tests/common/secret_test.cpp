#include "common/secret.h"

#include <gtest/gtest.h>

TEST(SecretTest, FormatsAsStars) {
  common::Secret secret("hunter2");
  EXPECT_EQ(fmt::format("password={}", secret), "password=***");
  EXPECT_EQ(secret.Reveal(), "hunter2");
}
