// Mapping an API server's answer to a Status: the server's own message, quoted, one line,
// and the codes callers branch on (NotFound, AlreadyExists, Conflict).
#include "k8s/api_error.h"

#include <gtest/gtest.h>

#include "k8s/resource_ref.h"
#include "k8s/rest_client.h"

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

// A hostile answer: a huge multi-line Status message is quoted clipped on one line; a deep
// body is not parsed and quoted as text, clipped; a non-string field is no crash.
TEST(ApiError, HostileAnswersAreQuotedClippedOnOneLine) {
  const std::string huge = R"({"kind":"Status","message":"first\nsecond)" +
                           std::string(100000, 'x') + R"(","reason":"BadRequest"})";
  const absl::Status clipped = k8s::ApiError(400, huge, "GET u");
  EXPECT_TRUE(absl::IsInvalidArgument(clipped));
  const std::string message(clipped.message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message.substr(0, 200);
  EXPECT_LT(message.size(), 1200u) << message.substr(0, 200);
  EXPECT_NE(message.find("first?second"), std::string::npos) << message.substr(0, 200);

  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const absl::Status deep_status = k8s::ApiError(500, deep, "GET u");
  EXPECT_TRUE(absl::IsUnavailable(deep_status));
  EXPECT_LT(deep_status.message().size(), 400u);

  const absl::Status typed =
      k8s::ApiError(409, R"({"kind":"Status","message":7,"reason":[]})", "x");
  EXPECT_TRUE(absl::IsAborted(typed));
}

// The JSON of an answer: bounded in depth, and an error names the request, not the bytes.
TEST(ParseApiAnswer, DeepOrBrokenAnswersAreOneLine) {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  auto refused = k8s::ParseApiAnswer(deep, "GET https://h/api/v1/x");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsDataLoss(refused.status()));
  EXPECT_EQ(
      refused.status().message(),
      "GET https://h/api/v1/x: the server's answer nests deeper than 512 levels; refusing it");
  auto broken = k8s::ParseApiAnswer(R"({"secret":"s3cr3t")", "GET u");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(std::string(broken.status().message()).find("s3cr3t"), std::string::npos);
  auto fine = k8s::ParseApiAnswer(R"({"kind":"List","items":[]})", "GET u");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ((*fine)["kind"], "List");
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
