#include "apiserver/platform_table.h"

#include "platform/resources.h"

namespace apiserver {

ResourceTable PlatformResourceTable() {
  ResourceTable table;
  for (const platform::NamedResource& named : platform::AllPlatformResources()) {
    const k8s::ResourceRef& ref = named.ref;
    std::string storage;
    // kube-apiserver stores these built-ins without their group; services under specs/.
    if (ref.group == "coordination.k8s.io" || ref.group == "batch" || ref.group == "apps") {
      storage = ref.resource;
    }
    if (ref.group.empty() && ref.resource == "services") storage = "services/specs";
    if (ref.group.empty() && ref.resource == "nodes") storage = "minions";
    table.push_back({ref.group, ref.version, ref.resource, named.kind, ref.namespaced, storage});
  }
  return table;
}

}  // namespace apiserver
