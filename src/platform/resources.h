// The resource types of the ACP platform (and the Kubernetes built-ins) our tools read and
// write, in one table so violet, the upgrade tools, the DR runbook and the test stand-in agree.
// Groups the public docs do not give are marked "assumed" (acp-spec.md §7, §11).
#pragma once

#include <string>
#include <vector>

#include "k8s/resource_ref.h"

namespace platform {

// Kubernetes built-ins.
inline const k8s::ResourceRef kConfigMaps{"", "v1", "configmaps", true};
inline const k8s::ResourceRef kSecrets{"", "v1", "secrets", true};
inline const k8s::ResourceRef kNamespaces{"", "v1", "namespaces", false};
inline const k8s::ResourceRef kPods{"", "v1", "pods", true};
inline const k8s::ResourceRef kServices{"", "v1", "services", true};
inline const k8s::ResourceRef kNodes{"", "v1", "nodes", false};
inline const k8s::ResourceRef kLeases{"coordination.k8s.io", "v1", "leases", true};
inline const k8s::ResourceRef kCronJobs{"batch", "v1", "cronjobs", true};
inline const k8s::ResourceRef kDeployments{"apps", "v1", "deployments", true};
inline const k8s::ResourceRef kCatalogSources{"operators.coreos.com", "v1alpha1", "catalogsources",
                                              true};

// Marketplace packages (violet): Artifact / ArtifactVersion (app.alauda.io, §7).
inline const k8s::ResourceRef kArtifacts{"app.alauda.io", "v1alpha1", "artifacts", true};
inline const k8s::ResourceRef kArtifactVersions{"app.alauda.io", "v1alpha1", "artifactversions",
                                                true};

// Cluster plugins (cluster.alauda.io, cluster-scoped, §7).
inline const k8s::ResourceRef kModulePlugins{"cluster.alauda.io", "v1alpha1", "moduleplugins",
                                             false};
inline const k8s::ResourceRef kModuleConfigs{"cluster.alauda.io", "v1alpha1", "moduleconfigs",
                                             false};
inline const k8s::ResourceRef kModuleInfos{"cluster.alauda.io", "v1alpha1", "moduleinfoes", false};
inline const k8s::ResourceRef kClusterPluginInstances{"cluster.alauda.io", "v1alpha1",
                                                      "clusterplugininstances", false};
// violet gc's records of what is installed where (§9.5); group and scope assumed.
inline const k8s::ResourceRef kModulePluginViews{"cluster.alauda.io", "v1alpha1",
                                                 "modulepluginviews", false};
inline const k8s::ResourceRef kOperatorViews{"app.alauda.io", "v1alpha1", "operatorviews", false};

// Platform configuration and clusters.
inline const k8s::ResourceRef kProductBases{"product.alauda.io", "v1alpha2", "productbases", false};
inline const k8s::ResourceRef kMachines{"platform.tkestack.io", "v1", "machines", false};
inline const k8s::ResourceRef kClusters{"platform.tkestack.io", "v1", "clusters", false};

// Era B upgrade control (§4.2): group assumed; one cvsh per cluster in cpaas-system.
inline const k8s::ResourceRef kClusterVersionShadows{"upgrade.alauda.io", "v1alpha1",
                                                     "clusterversionshadows", true};
// Published target versions (ac adm release import-manifest); group assumed.
inline const k8s::ResourceRef kProductManifests{"upgrade.alauda.io", "v1alpha1", "productmanifests",
                                                false};
// Patches to platform resources that block an upgrade until exempted (§3); group assumed.
inline const k8s::ResourceRef kResourcePatches{"upgrade.alauda.io", "v1alpha1", "resourcepatches",
                                               false};

inline constexpr const char* kPlatformNamespace = "cpaas-system";
inline constexpr const char* kGlobalCluster = "global";

struct NamedResource {
  k8s::ResourceRef ref;
  std::string kind;
};

// Every type above with its Kind: the stand-in API server serves exactly these.
std::vector<NamedResource> AllPlatformResources();

}  // namespace platform
