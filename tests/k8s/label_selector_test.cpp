// The stand-in API server's request parsing: equality label selectors and REST paths.
#include "apiserver/label_selector.h"

#include <gtest/gtest.h>

#include "apiserver/api_path.h"

namespace {

TEST(LabelSelector, EqualityTerms) {
  auto selector = apiserver::ParseLabelSelector("app=x, tier==web,env!=prod");
  ASSERT_TRUE(selector.has_value());
  ASSERT_EQ(selector->size(), 3u);
  const nlohmann::json object = {
      {"metadata", {{"labels", {{"app", "x"}, {"tier", "web"}, {"env", "dev"}}}}}};
  EXPECT_TRUE(apiserver::MatchesLabels(*selector, object));
  EXPECT_FALSE(apiserver::MatchesLabels(*apiserver::ParseLabelSelector("app=y"), object));
  EXPECT_TRUE(apiserver::MatchesLabels(*apiserver::ParseLabelSelector(""), object));
  EXPECT_FALSE(apiserver::ParseLabelSelector("app in (x)").has_value());
}

TEST(ApiPath, Shapes) {
  auto core = apiserver::ParseApiPath("/api/v1/namespaces/ns/configmaps/cm");
  ASSERT_TRUE(core.has_value());
  EXPECT_EQ(core->ns, "ns");
  EXPECT_EQ(core->resource, "configmaps");
  EXPECT_EQ(core->name, "cm");
  auto status = apiserver::ParseApiPath("/apis/example.com/v1/widgets/w/status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->group, "example.com");
  EXPECT_EQ(status->subresource, "status");
  auto ns = apiserver::ParseApiPath("/api/v1/namespaces/team-a");
  ASSERT_TRUE(ns.has_value());
  EXPECT_EQ(ns->resource, "namespaces");
  EXPECT_EQ(ns->name, "team-a");
  EXPECT_TRUE(ns->ns.empty());
  EXPECT_FALSE(apiserver::ParseApiPath("/version").has_value());
}

}  // namespace
