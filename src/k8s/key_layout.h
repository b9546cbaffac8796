// How kube-apiserver lays objects out in etcd: /registry/<resource>/[<namespace>/]<name>,
// with a group segment for non-core groups (/registry/<group>/<resource>/...) and a few
// legacy two-segment resources (services/specs, services/endpoints, ranges/...).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace k8s {

struct ObjectKey {
  // "pods", "services/specs", "platform.tkestack.io/machines": the path between the root and
  // the namespace/name, as operators write it in rules.
  std::string resource;
  std::string ns;    // empty for cluster-scoped objects
  std::string name;  // empty for singleton keys such as /registry/serviceips
};

// nullopt when `key` is not under `root` ("/registry/").
std::optional<ObjectKey> ParseObjectKey(std::string_view key, std::string_view root = "/registry/");

}  // namespace k8s
