// Reads where "not there" is an answer, not an error: an object that does not exist, or a
// resource type the server does not serve (404). Other errors name what could not be read.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/resource_ref.h"
#include "k8s/rest_client.h"

namespace k8s {

// The object, or `null` when it (or its resource type) does not exist.
absl::StatusOr<nlohmann::json> GetOrNull(RestClient& client, const ResourceRef& ref,
                                         const std::string& ns, const std::string& name);

// The items of a list (by label `selector` when not empty), none when the type is not served.
absl::StatusOr<std::vector<nlohmann::json>> ListOrEmpty(RestClient& client, const ResourceRef& ref,
                                                        const std::string& ns,
                                                        const std::string& selector = "");

}  // namespace k8s
