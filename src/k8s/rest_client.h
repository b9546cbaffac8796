// A Kubernetes REST client over libcurl: get / list / create / update / merge-patch /
// delete for any group/version/resource, JSON in and out, errors quoting the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "k8s/resource_ref.h"
#include "k8s/rest_config.h"
#include "k8s/watch.h"

namespace k8s {

// An API answer held in memory: a List of every Secret or Machine of a large cluster is tens
// of MiB; past this it is refused (one line) rather than grown without end.
inline constexpr size_t kDefaultMaxResponseBytes = 64 << 20;
// JSON nesting of an API object: real ones (CRD schemas included) stay far below it.
inline constexpr int kMaxApiJsonDepth = 512;

// `body` as JSON within kMaxApiJsonDepth (its size is bounded by the read); `what` names the
// request: DataLoss "<what>: the server's answer is not JSON (...)" / "... nests deeper ...".
absl::StatusOr<nlohmann::json> ParseApiAnswer(std::string_view body, const std::string& what);

struct RestResponse {
  long status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, when the server sent one
};

// When an answer is tried again. The rule: 429 for any method (the server refused it before
// doing anything); 5xx except 501 only for GET, HEAD, PUT and DELETE, which are idempotent
// (a PUT carrying metadata.resourceVersion cannot apply twice: the second gets a 409);
// POST and PATCH never on 5xx. The wait is Retry-After (seconds or an HTTP date) when given,
// else exponential backoff from `base_delay` with jitter; both capped at `max_delay`.
struct RetryPolicy {
  int max_attempts = 5;  // including the first
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30000};
  // Injected for tests: a number in [0, 1), the wall clock (for HTTP dates), and the wait.
  std::function<double()> random;
  std::function<absl::Time()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};

// How long to wait before attempt `attempt + 1` after `response` to `method` on attempt
// `attempt` (1-based); nullopt when it must not be retried (by the rule or out of attempts).
std::optional<std::chrono::milliseconds> RetryDelay(const std::string& method,
                                                    const RestResponse& response, int attempt,
                                                    const RetryPolicy& policy);

class RestClient {
 public:
  explicit RestClient(RestConfig config,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30),
                      size_t max_response_bytes = kDefaultMaxResponseBytes, RetryPolicy retry = {});

  // `ns` is ignored for cluster-scoped resources.
  absl::StatusOr<nlohmann::json> Get(const ResourceRef& ref, const std::string& ns,
                                     const std::string& name);
  // The List object ("items"); all namespaces when `ns` is empty. `label_selector`:
  // "app=x,tier=y" as kubectl -l takes it.
  absl::StatusOr<nlohmann::json> List(const ResourceRef& ref, const std::string& ns,
                                      const std::string& label_selector = "");
  absl::StatusOr<nlohmann::json> Create(const ResourceRef& ref, const std::string& ns,
                                        const nlohmann::json& object);
  // PUT; metadata.resourceVersion, when set, must match the server's (else IsConflict()).
  absl::StatusOr<nlohmann::json> Update(const ResourceRef& ref, const std::string& ns,
                                        const nlohmann::json& object);
  absl::StatusOr<nlohmann::json> UpdateStatus(const ResourceRef& ref, const std::string& ns,
                                              const nlohmann::json& object);
  // application/merge-patch+json (RFC 7386); `subresource` "status" patches the status.
  absl::StatusOr<nlohmann::json> MergePatch(const ResourceRef& ref, const std::string& ns,
                                            const std::string& name, const nlohmann::json& patch,
                                            const std::string& subresource = "");
  absl::Status Delete(const ResourceRef& ref, const std::string& ns, const std::string& name);

  // One request to `path` (plus query); a network/TLS failure is an error, any HTTP answer
  // is returned as is; a body past `max_response_bytes` is ResourceExhausted (one line).
  // With an exec plugin its credential is cached until its expirationTimestamp; a 401 runs
  // the plugin again and repeats the request once. 429/5xx are retried by RetryPolicy's rule.
  absl::StatusOr<RestResponse> Perform(const std::string& method, const std::string& path,
                                       const std::string& body = "",
                                       const std::string& content_type = "application/json");

  // GET <collection>?watch=true from `options.resource_version`, each event to `callback`,
  // until the server ends the stream, the callback returns false or `deadline` passes. One
  // event is at most the client's max response bytes. The contract (threads, ownership,
  // errors: 410 -> IsResourceExpired, 400/404/405 -> IsWatchUnsupported) is in k8s/watch.h.
  absl::StatusOr<WatchEnd> Watch(const ResourceRef& ref, const std::string& ns,
                                 const WatchOptions& options, const WatchCallback& callback,
                                 std::chrono::steady_clock::time_point deadline);

  const RestConfig& config() const { return config_; }

 private:
  // A streamed answer (a watch): a 2xx body goes to `on_data` as it arrives (false stops the
  // transfer; the answer is then returned as it is); `timeout` bounds the whole request.
  struct Stream {
    std::function<bool(std::string_view)> on_data;
    std::chrono::milliseconds timeout;
  };
  absl::StatusOr<nlohmann::json> Json(const std::string& method, const std::string& path,
                                      const std::string& body = "",
                                      const std::string& content_type = "application/json");

  struct ExecCache;
  absl::StatusOr<RestResponse> PerformOnce(const std::string& method, const std::string& path,
                                           const std::string& body, const std::string& content_type,
                                           const ExecCredential* credential,
                                           const Stream* stream = nullptr);
  // The exec plugin's credential, run again when `refresh` or expired.
  absl::StatusOr<ExecCredential> ExecCredentialFor(bool refresh);

  RestConfig config_;
  absl::StatusOr<RestResponse> PerformWithCredential(const std::string& method,
                                                     const std::string& path,
                                                     const std::string& body,
                                                     const std::string& content_type,
                                                     const Stream* stream = nullptr);

  std::shared_ptr<ExecCache> exec_cache_;
  RetryPolicy retry_;
  std::chrono::milliseconds timeout_;
  size_t max_response_bytes_;
};

}  // namespace k8s
