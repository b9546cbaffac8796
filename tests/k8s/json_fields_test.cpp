// The one set of JSON field readers: absent or mistyped fields read as "" / nothing.
#include "k8s/json_fields.h"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;

TEST(JsonFieldsTest, ReadsStringsLabelsAndConditions) {
  const json object = {
      {"metadata",
       {{"name", "x"}, {"labels", {{"a", "1"}, {"n", 2}}}, {"annotations", {{"b", "2"}}}}},
      {"status",
       {{"phase", "Running"}, {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
  EXPECT_EQ(k8s::NameOf(object), "x");
  EXPECT_EQ(k8s::StringAt(object, "/status/phase"), "Running");
  EXPECT_EQ(k8s::LabelOf(object, "a"), "1");
  EXPECT_EQ(k8s::LabelOf(object, "n"), "");
  EXPECT_EQ(k8s::LabelOf(object, "missing"), "");
  EXPECT_EQ(k8s::AnnotationOf(object, "b"), "2");
  EXPECT_EQ(k8s::ConditionStatus(object, "Ready"), "True");
  EXPECT_EQ(k8s::ConditionStatus(object, "Stalled"), "");
  EXPECT_EQ(k8s::ItemsOf({{"items", {1, 2}}}).size(), 2u);
}

TEST(JsonFieldsTest, MistypedObjectsReadEmpty) {
  for (const json& object :
       {json(nullptr), json(3), json::array({1}), json{{"metadata", "x"}, {"status", 1}},
        json{{"metadata", {{"labels", {1, 2}}}}, {"status", {{"conditions", {1, "x"}}}}},
        json{{"items", "x"}}}) {
    EXPECT_EQ(k8s::NameOf(object), "") << object;
    EXPECT_EQ(k8s::LabelOf(object, "a"), "") << object;
    EXPECT_EQ(k8s::StringAt(object, "/status/phase"), "") << object;
    EXPECT_EQ(k8s::FindCondition(object, "Ready"), nullptr) << object;
    EXPECT_TRUE(k8s::ItemsOf(object).empty()) << object;
  }
}

}  // namespace
