#include "platform/registry.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"

namespace platform {
namespace {

using k8s::StringAt;

// The VIP of the global cluster, or "" when its Cluster object does not name one.
absl::StatusOr<std::string> GlobalVip(k8s::RestClient& global) {
  auto cluster = global.Get(kClusters, "", kGlobalCluster);
  if (absl::IsNotFound(cluster.status())) return std::string();
  if (!cluster.ok()) return cluster.status();
  return ClusterOf(*cluster).vip;
}

}  // namespace

absl::StatusOr<Registry> ReadRegistry(k8s::RestClient& global) {
  auto base = global.Get(kProductBases, "", "base");
  if (!base.ok()) {
    return absl::Status(base.status().code(),
                        fmt::format("cannot read the platform registry from ProductBase base "
                                    "(pass --registry to name it): {}",
                                    base.status().message()));
  }
  Registry registry;
  const ProductBase product_base = ProductBaseOf(*base);
  registry.external = product_base.registry_external;
  registry.address = product_base.registry_address;
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
  auto secret = global.Get(kSecrets, kPlatformNamespace, "registry-admin");
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

}  // namespace platform
