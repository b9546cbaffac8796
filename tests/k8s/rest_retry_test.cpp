// Which answers the REST client tries again and how long it waits: 429 for any method, 5xx
// (not 501) only for idempotent ones, Retry-After in seconds or as an HTTP date, capped, and
// exponential backoff with jitter otherwise; a bounded number of attempts.
#include <gtest/gtest.h>

#include "k8s/rest_client.h"

namespace {

using std::chrono::milliseconds;

k8s::RetryPolicy Policy(double random = 0.0) {
  k8s::RetryPolicy policy;
  policy.max_attempts = 4;
  policy.base_delay = milliseconds(1000);
  policy.max_delay = milliseconds(10000);
  policy.random = [random] { return random; };
  policy.now = [] { return absl::FromUnixSeconds(1700000000); };  // 2023-11-14 22:13:20 UTC
  return policy;
}

k8s::RestResponse Answer(long status, std::string retry_after = "") {
  return {status, "", std::move(retry_after)};
}

TEST(RestRetry, WhichAnswersAreRetried) {
  const k8s::RetryPolicy policy = Policy();
  for (const char* method : {"GET", "PUT", "DELETE", "POST", "PATCH"}) {
    SCOPED_TRACE(method);
    EXPECT_TRUE(k8s::RetryDelay(method, Answer(429), 1, policy).has_value());
    EXPECT_FALSE(k8s::RetryDelay(method, Answer(501), 1, policy).has_value());
    EXPECT_FALSE(k8s::RetryDelay(method, Answer(404), 1, policy).has_value());
    EXPECT_FALSE(k8s::RetryDelay(method, Answer(409), 1, policy).has_value());
    EXPECT_FALSE(k8s::RetryDelay(method, Answer(200), 1, policy).has_value());
  }
  for (long status : {500, 502, 503, 504}) {
    EXPECT_TRUE(k8s::RetryDelay("GET", Answer(status), 1, policy).has_value());
    EXPECT_TRUE(k8s::RetryDelay("PUT", Answer(status), 1, policy).has_value());
    EXPECT_TRUE(k8s::RetryDelay("DELETE", Answer(status), 1, policy).has_value());
    EXPECT_FALSE(k8s::RetryDelay("POST", Answer(status), 1, policy).has_value());
    EXPECT_FALSE(k8s::RetryDelay("PATCH", Answer(status), 1, policy).has_value());
  }
  EXPECT_TRUE(k8s::RetryDelay("GET", Answer(503), 3, policy).has_value());
  EXPECT_FALSE(k8s::RetryDelay("GET", Answer(503), 4, policy).has_value());  // out of attempts
}

TEST(RestRetry, RetryAfterSecondsOrDateCapped) {
  const k8s::RetryPolicy policy = Policy(0.9);
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(429, "3"), 1, policy), milliseconds(3000));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(503, "0"), 1, policy), milliseconds(0));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(429, "86400"), 1, policy), milliseconds(10000));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(429, "99999999999999999999"), 1, policy),
            milliseconds(10000));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(429, "Tue, 14 Nov 2023 22:13:25 GMT"), 1, policy),
            milliseconds(5000));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(429, "Tue, 14 Nov 2023 22:00:00 GMT"), 1, policy),
            milliseconds(0));  // already past
  // Unreadable: backoff as if none was given.
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(429, "soon"), 1, policy), milliseconds(950));
}

TEST(RestRetry, ExponentialBackoffWithJitterCapped) {
  const k8s::RetryPolicy low = Policy(0.0);
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(503), 1, low), milliseconds(500));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(503), 2, low), milliseconds(1000));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(503), 3, low), milliseconds(2000));
  k8s::RetryPolicy many = Policy(0.5);
  many.max_attempts = 100;
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(503), 1, many), milliseconds(750));
  EXPECT_EQ(k8s::RetryDelay("GET", Answer(503), 60, many), milliseconds(7500));  // capped
}

}  // namespace
