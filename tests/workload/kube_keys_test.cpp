#include "workload/kube_keys.h"

#include <gtest/gtest.h>

#include <set>

namespace workload {
namespace {

TEST(KubeKeysTest, KeysLookLikeKubernetesAndAreUnique) {
  std::set<std::string> keys;
  bool saw_namespaced = false;
  bool saw_cluster_scoped = false;
  for (int i = 0; i < 1000; ++i) {
    SampleObject object = MakeSampleObject("/registry/", i, 1024);
    EXPECT_EQ(object.key.rfind("/registry/", 0), 0u);
    EXPECT_EQ(object.value.size(), 1024u) << object.value;
    EXPECT_EQ(object.value.front(), '{');
    EXPECT_EQ(object.value.back(), '}');
    saw_namespaced |= object.key.find("/team-") != std::string::npos;
    saw_cluster_scoped |= object.key.find("/namespaces/") != std::string::npos;
    keys.insert(object.key);
  }
  EXPECT_EQ(keys.size(), 1000u);
  EXPECT_TRUE(saw_namespaced);
  EXPECT_TRUE(saw_cluster_scoped);
}

TEST(KubeKeysTest, GenerationChangesTheValueNotTheKey) {
  auto a = MakeSampleObject("/registry/", 5, 200, 0);
  auto b = MakeSampleObject("/registry/", 5, 200, 1);
  EXPECT_EQ(a.key, b.key);
  EXPECT_NE(a.value, b.value);
}

}  // namespace
}  // namespace workload
