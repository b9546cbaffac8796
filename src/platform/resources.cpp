#include "platform/resources.h"

namespace platform {

std::vector<NamedResource> AllPlatformResources() {
  return {{kConfigMaps, "ConfigMap"},
          {kSecrets, "Secret"},
          {kNamespaces, "Namespace"},
          {kPods, "Pod"},
          {kServices, "Service"},
          {kNodes, "Node"},
          {kLeases, "Lease"},
          {kCronJobs, "CronJob"},
          {kDeployments, "Deployment"},
          {kCatalogSources, "CatalogSource"},
          {kArtifacts, "Artifact"},
          {kArtifactVersions, "ArtifactVersion"},
          {kModulePlugins, "ModulePlugin"},
          {kModuleConfigs, "ModuleConfig"},
          {kModuleInfos, "ModuleInfo"},
          {kClusterPluginInstances, "ClusterPluginInstance"},
          {kModulePluginViews, "ModulePluginView"},
          {kOperatorViews, "OperatorView"},
          {kProductBases, "ProductBase"},
          {kMachines, "Machine"},
          {kClusters, "Cluster"},
          {kClusterVersionShadows, "ClusterVersionShadow"},
          {kProductManifests, "ProductManifest"},
          {kResourcePatches, "ResourcePatch"}};
}

}  // namespace platform
