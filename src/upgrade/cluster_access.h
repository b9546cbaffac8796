// How the upgrade tools reach the global cluster and the cluster being upgraded: a
// kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) or --platform-address + token.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "k8s/platform_connection.h"
#include "k8s/rest_config.h"

namespace upgrade {

// (The flags that fill a k8s::PlatformConnection are src/cli/connection_flags.h.)

// The global cluster: the kubeconfig's cluster, or <address>/kubernetes/global.
absl::StatusOr<k8s::RestConfig> GlobalClusterConfig(const k8s::PlatformConnection& connection);
// Cluster `cluster`: with a platform address, <address>/kubernetes/<cluster>; with a
// kubeconfig (which points at global), the global API server's platform proxy
// <server>/kubernetes/<cluster>. "global" is the global config itself.
absl::StatusOr<k8s::RestConfig> WorkloadClusterConfig(const k8s::PlatformConnection& connection,
                                                      const std::string& cluster);

// True when some connection is configured (a flag, $KUBECONFIG or ~/.kube/config exists).
bool ConnectionConfigured(const k8s::PlatformConnection& connection);

}  // namespace upgrade
