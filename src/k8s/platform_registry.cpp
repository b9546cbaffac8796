#include "k8s/platform_registry.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "k8s/platform_resources.h"

namespace k8s {
namespace {

std::string StringAt(const nlohmann::json& object, const char* pointer) {
  const nlohmann::json::json_pointer path(pointer);
  return object.contains(path) && object.at(path).is_string() ? object.at(path).get<std::string>()
                                                              : "";
}

// The VIP of the global cluster, or "" when its Cluster object does not name one.
absl::StatusOr<std::string> GlobalVip(RestClient& global) {
  auto cluster = global.Get(acp::kClusters, "", acp::kGlobalCluster);
  if (absl::IsNotFound(cluster.status())) return std::string();
  if (!cluster.ok()) return cluster.status();
  for (const char* pointer : {"/spec/features/ha/thirdParty/vip", "/spec/features/ha/tke/vip"}) {
    if (std::string vip = StringAt(*cluster, pointer); !vip.empty()) return vip;
  }
  return std::string();
}

}  // namespace

absl::StatusOr<PlatformRegistry> ReadPlatformRegistry(RestClient& global) {
  auto base = global.Get(acp::kProductBases, "", "base");
  if (!base.ok()) {
    return absl::Status(base.status().code(),
                        fmt::format("cannot read the platform registry from ProductBase base "
                                    "(pass --registry to name it): {}",
                                    base.status().message()));
  }
  PlatformRegistry registry;
  registry.external = base->value("/spec/registry/external"_json_pointer, false);
  registry.address = StringAt(*base, "/spec/registry/address");
  registry.where_from = "ProductBase base spec.registry.address";
  if (!registry.external) {
    auto vip = GlobalVip(global);
    if (!vip.ok()) return vip.status();
    if (!vip->empty()) {
      const bool ipv6 = vip->find(':') != std::string::npos;
      registry.address = ipv6 ? fmt::format("[{}]:{}", *vip, kBuiltInRegistryPort)
                              : fmt::format("{}:{}", *vip, kBuiltInRegistryPort);
      registry.where_from = "the global cluster's VIP (built-in registry)";
    }
  }
  if (registry.address.empty()) {
    return absl::FailedPreconditionError(
        "ProductBase base has no spec.registry.address and Cluster global names no VIP; pass "
        "--registry");
  }
  auto secret = global.Get(acp::kSecrets, acp::kPlatformNamespace, "registry-admin");
  if (absl::IsNotFound(secret.status())) return registry;
  if (!secret.ok()) return secret.status();
  auto username = common::DecodeBase64(StringAt(*secret, "/data/username"));
  auto password = common::DecodeBase64(StringAt(*secret, "/data/password"));
  if (!username || !password || username->empty()) {
    return absl::FailedPreconditionError(
        "Secret cpaas-system/registry-admin lacks base64 data.username/data.password; pass "
        "--username and --password");
  }
  registry.username = *username;
  registry.password = common::Secret(*password);
  return registry;
}

}  // namespace k8s
