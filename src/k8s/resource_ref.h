// Names a Kubernetes resource type (group/version/resource, namespaced or not) and builds
// its REST paths: /api/v1/... for the core group, /apis/<group>/<version>/... otherwise.
#pragma once

#include <string>

namespace k8s {

struct ResourceRef {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural, lower case: "configmaps", "artifacts"
  bool namespaced = true;

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string GroupResource() const { return group.empty() ? resource : resource + "." + group; }
};

// The collection path in `ns` (all namespaces when empty) or the object path when `name`
// is given; `subresource` ("status") is appended to an object path.
std::string ResourcePath(const ResourceRef& ref, const std::string& ns,
                         const std::string& name = "", const std::string& subresource = "");

}  // namespace k8s
