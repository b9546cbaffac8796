// TEST STAND-IN for kube-apiserver: the table of resource types it serves (which are
// namespaced, their kinds) and the etcd prefix each is stored under.
#pragma once

#include <string>
#include <vector>

namespace apiserver {

struct ServedResource {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural: "configmaps", "artifacts"
  std::string kind;      // "ConfigMap", "Artifact"
  bool namespaced = true;
  // Path under /registry/; empty means kube-apiserver's rule for custom resources and the
  // core group: "<group>/<resource>" or "<resource>". Built-in non-core groups (apps
  // deployments: "deployments") and renamed core ones (nodes: "minions") set it.
  std::string storage;

  std::string StoragePrefix() const {
    const std::string path =
        !storage.empty() ? storage : (group.empty() ? resource : group + "/" + resource);
    return "/registry/" + path + "/";
  }
  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string GroupResource() const { return group.empty() ? resource : resource + "." + group; }
};

using ResourceTable = std::vector<ServedResource>;

}  // namespace apiserver
