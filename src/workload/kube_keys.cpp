#include "workload/kube_keys.h"

#include <fmt/format.h>

#include <array>

namespace workload {
namespace {

struct Resource {
  const char* path;  // as under /registry/
  const char* kind;
  const char* api_version;
  bool namespaced;
};

constexpr std::array<Resource, 10> kResources = {{
    {"pods", "Pod", "v1", true},
    {"configmaps", "ConfigMap", "v1", true},
    {"secrets", "Secret", "v1", true},
    {"services/specs", "Service", "v1", true},
    {"deployments", "Deployment", "apps/v1", true},
    {"replicasets", "ReplicaSet", "apps/v1", true},
    {"serviceaccounts", "ServiceAccount", "v1", true},
    {"namespaces", "Namespace", "v1", false},
    {"clusterroles", "ClusterRole", "rbac.authorization.k8s.io/v1", false},
    {"platform.tkestack.io/machines", "Machine", "platform.tkestack.io/v1", false},
}};

}  // namespace

SampleObject MakeSampleObject(const std::string& prefix, int64_t index, size_t value_size,
                              int64_t generation) {
  // Mostly namespaced objects, as in a real cluster.
  const Resource& resource = kResources[(index * 7) % 23 % kResources.size()];
  const std::string ns = fmt::format("team-{:02}", index % 40);
  const std::string name = fmt::format("{}-{:07}", resource.kind, index);
  SampleObject object;
  object.key = resource.namespaced ? fmt::format("{}{}/{}/{}", prefix, resource.path, ns, name)
                                   : fmt::format("{}{}/{}", prefix, resource.path, name);
  object.value = fmt::format(
      R"({{"kind":"{}","apiVersion":"{}","metadata":{{"name":"{}",{}"uid":"{:08x}-0000-4000-8000-{:012x}","generation":{}}},"spec":{{"data":")",
      resource.kind, resource.api_version, name,
      resource.namespaced ? fmt::format(R"("namespace":"{}",)", ns) : std::string(), index, index,
      generation);
  const std::string tail = R"("}})";
  if (object.value.size() + tail.size() < value_size) {
    const size_t pad = value_size - object.value.size() - tail.size();
    for (size_t i = 0; i < pad; ++i) {
      object.value.push_back(static_cast<char>('a' + (index + generation + i) % 26));
    }
  }
  object.value += tail;
  return object;
}

}  // namespace workload
