#include "k8s/resource_ref.h"

namespace k8s {

std::string ResourcePath(const ResourceRef& ref, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path =
      ref.group.empty() ? "/api/" + ref.version : "/apis/" + ref.group + "/" + ref.version;
  if (ref.namespaced && !ns.empty()) path += "/namespaces/" + ns;
  path += "/" + ref.resource;
  if (!name.empty()) {
    path += "/" + name;
    if (!subresource.empty()) path += "/" + subresource;
  }
  return path;
}

}  // namespace k8s
