#include "k8s/read_or_absent.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "k8s/json_fields.h"

namespace k8s {

using nlohmann::json;

absl::StatusOr<json> GetOrNull(RestClient& client, const ResourceRef& ref, const std::string& ns,
                               const std::string& name) {
  auto object = client.Get(ref, ns, name);
  if (absl::IsNotFound(object.status())) return json(nullptr);
  if (!object.ok()) {
    return absl::Status(object.status().code(),
                        fmt::format("cannot read {} {}{}: {}", ref.GroupResource(),
                                    ns.empty() ? "" : ns + "/", name, object.status().message()));
  }
  return *object;
}

absl::StatusOr<std::vector<json>> ListOrEmpty(RestClient& client, const ResourceRef& ref,
                                              const std::string& ns, const std::string& selector) {
  auto list = client.List(ref, ns, selector);
  if (absl::IsNotFound(list.status())) return std::vector<json>();
  if (!list.ok()) {
    return absl::Status(list.status().code(),
                        fmt::format("cannot list {}{}: {}", ref.GroupResource(),
                                    ns.empty() ? "" : " in " + ns, list.status().message()));
  }
  return ItemsOf(*list);
}

}  // namespace k8s
