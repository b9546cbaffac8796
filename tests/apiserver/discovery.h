// TEST STAND-IN for kube-apiserver: the discovery documents kubectl reads before it acts
// (/version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>), built from the
// ResourceTable the stand-in serves.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "apiserver/served_resource.h"

namespace apiserver {

// The document for a discovery path, or nullopt when `path` is not one (or names a group or
// version the table does not serve).
std::optional<nlohmann::json> DiscoveryDocument(const ResourceTable& resources,
                                                const std::string& path);

}  // namespace apiserver
