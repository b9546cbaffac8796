// What the Kubernetes REST client does with an API server's answer, without a server: the
// status to error mapping (Status bodies), the JSON answer, list items, Retry-After.
// Input: first byte picks the HTTP status, the first line is Retry-After, the rest the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "k8s/api_error.h"
#include "k8s/json_fields.h"
#include "k8s/rest_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const long kStatuses[] = {200, 201, 400, 401, 403, 404, 409, 410, 422, 429, 500, 501, 503};
  const long status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t newline = rest.find('\n');
  const std::string retry_after = newline == std::string::npos ? "" : rest.substr(0, newline);
  const std::string body = newline == std::string::npos ? rest : rest.substr(newline + 1);

  (void)k8s::ApiError(status, body, "GET fuzz");
  auto answer = k8s::ParseApiAnswer(body, "GET fuzz");
  if (answer.ok()) {
    (void)k8s::NameOf(*answer);
    (void)k8s::LabelOf(*answer, "app");
    (void)k8s::AnnotationOf(*answer, "a");
    (void)k8s::ConditionStatus(*answer, "Ready");
    (void)k8s::StringAt(*answer, "/metadata/name");
    (void)k8s::StringAt(*answer, "/status/phase");
    for (const auto& item : k8s::ItemsOf(*answer)) k8s::NameOf(item);
  }
  k8s::RetryPolicy policy;
  policy.random = [] { return 0.5; };
  policy.now = [] { return absl::FromUnixSeconds(1700000000); };
  policy.sleep = [](std::chrono::milliseconds) {};
  k8s::RestResponse response{status, body, retry_after};
  (void)k8s::RetryDelay("GET", response, 1, policy);
  (void)k8s::RetryDelay("POST", response, 1, policy);
  return 0;
}
