#include "k8s/key_layout.h"

#include <gtest/gtest.h>

namespace k8s {
namespace {

struct Case {
  const char* key;
  const char* resource;
  const char* ns;
  const char* name;
};

TEST(KeyLayoutTest, ParsesTheLayoutsKubeApiserverWrites) {
  const Case cases[] = {
      {"/registry/pods/team-a/web-1", "pods", "team-a", "web-1"},
      {"/registry/namespaces/team-a", "namespaces", "", "team-a"},
      {"/registry/minions/node-1", "minions", "", "node-1"},
      {"/registry/services/specs/team-a/web", "services/specs", "team-a", "web"},
      {"/registry/services/endpoints/team-a/web", "services/endpoints", "team-a", "web"},
      {"/registry/deployments/team-a/web", "deployments", "team-a", "web"},
      {"/registry/platform.tkestack.io/machines/m-1", "platform.tkestack.io/machines", "", "m-1"},
      {"/registry/app.alauda.io/artifacts/cpaas-system/a", "app.alauda.io/artifacts",
       "cpaas-system", "a"},
      {"/registry/serviceips", "serviceips", "", ""},
      {"/registry/ranges/serviceips", "ranges/serviceips", "", ""},
      {"/registry/masterleases/10.0.0.1", "masterleases", "", "10.0.0.1"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseObjectKey(c.key);
    ASSERT_TRUE(parsed.has_value()) << c.key;
    EXPECT_EQ(parsed->resource, c.resource) << c.key;
    EXPECT_EQ(parsed->ns, c.ns) << c.key;
    EXPECT_EQ(parsed->name, c.name) << c.key;
  }
}

TEST(KeyLayoutTest, RejectsKeysOutsideTheRoot) {
  EXPECT_FALSE(ParseObjectKey("/other/pods/a/b").has_value());
  EXPECT_FALSE(ParseObjectKey("/registry/").has_value());
  EXPECT_TRUE(ParseObjectKey("/custom/pods/a/b", "/custom/").has_value());
}

}  // namespace
}  // namespace k8s
