// A Kubernetes REST client over libcurl: get / list / create / update / merge-patch /
// delete for any group/version/resource, JSON in and out, errors quoting the server.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "k8s/resource_ref.h"
#include "k8s/rest_config.h"

namespace k8s {

struct RestResponse {
  long status = 0;
  std::string body;
};

class RestClient {
 public:
  explicit RestClient(RestConfig config,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

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
  // is returned as is.
  absl::StatusOr<RestResponse> Perform(const std::string& method, const std::string& path,
                                       const std::string& body = "",
                                       const std::string& content_type = "application/json");

  const RestConfig& config() const { return config_; }

 private:
  absl::StatusOr<nlohmann::json> Json(const std::string& method, const std::string& path,
                                      const std::string& body = "",
                                      const std::string& content_type = "application/json");

  RestConfig config_;
  std::chrono::milliseconds timeout_;
};

}  // namespace k8s
