#include "sync/key_filter.h"

#include <gtest/gtest.h>

namespace etcdsync {
namespace {

TEST(PrefixFilterTest, PrefixAndExclusions) {
  PrefixFilter filter("/registry/", {"/registry/events/", "/registry/leases/"});
  EXPECT_TRUE(filter.Includes("/registry/pods/default/a"));
  EXPECT_FALSE(filter.Includes("/registry/events/default/a.1"));
  EXPECT_FALSE(filter.Includes("/registry/leases/kube-node-lease/n1"));
  EXPECT_FALSE(filter.Includes("/other/key"));
  EXPECT_FALSE(filter.Includes("/registry"));
}

}  // namespace
}  // namespace etcdsync
