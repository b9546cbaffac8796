// Mapping an API server's answer to a Status: the server's own message, quoted, one line,
// and the codes callers branch on (NotFound, AlreadyExists, Conflict).
#include "k8s/api_error.h"

#include <gtest/gtest.h>

#include "k8s/resource_ref.h"

namespace {

TEST(ApiError, QuotesTheServersStatusMessage) {
  const std::string body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"widgets.example.com \"w\" not found","reason":"NotFound","code":404})";
  const absl::Status status = k8s::ApiError(404, body, "GET https://h/apis/x");
  EXPECT_TRUE(absl::IsNotFound(status));
  EXPECT_EQ(status.message(),
            "GET https://h/apis/x: the server said: widgets.example.com \"w\" not found (404 "
            "NotFound)");
}

TEST(ApiError, ConflictAndAlreadyExistsDiffer) {
  EXPECT_TRUE(absl::IsAlreadyExists(
      k8s::ApiError(409, R"({"kind":"Status","reason":"AlreadyExists","message":"m"})", "x")));
  EXPECT_TRUE(k8s::IsConflict(
      k8s::ApiError(409, R"({"kind":"Status","reason":"Conflict","message":"m"})", "x")));
  EXPECT_TRUE(absl::IsUnauthenticated(k8s::ApiError(401, "", "x")));
}

TEST(ApiError, NonStatusBodyIsCutToOneLine) {
  const absl::Status status = k8s::ApiError(502, "Bad Gateway\n<html>", "GET u");
  EXPECT_TRUE(absl::IsUnavailable(status));
  EXPECT_EQ(status.message(), "GET u: the server said: Bad Gateway (502)");
}

TEST(ResourcePath, CoreGroupNamespacedAndClusterScoped) {
  const k8s::ResourceRef configmaps{"", "v1", "configmaps", true};
  const k8s::ResourceRef widgets{"example.com", "v1", "widgets", false};
  EXPECT_EQ(k8s::ResourcePath(configmaps, "ns", "cm"), "/api/v1/namespaces/ns/configmaps/cm");
  EXPECT_EQ(k8s::ResourcePath(configmaps, ""), "/api/v1/configmaps");
  EXPECT_EQ(k8s::ResourcePath(widgets, "ignored", "w", "status"),
            "/apis/example.com/v1/widgets/w/status");
}

}  // namespace
