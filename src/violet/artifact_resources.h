// The custom resources violet creates for a package (acp-spec.md §7): one Artifact per
// package name and one ArtifactVersion per version, with the labels list and gc read back.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "package/package_manifest.h"

namespace violet {

// Labels and annotations violet writes (README "violet: custom resources").
inline constexpr const char* kArtifactVersionLabel = "cpaas.io/artifact-version";
inline constexpr const char* kLifecycleLabel = "cpaas.io/lifecycle-type";
inline constexpr const char* kPackageNameLabel = "violet.cpaas.io/package-name";
inline constexpr const char* kPackageTypeLabel = "violet.cpaas.io/package-type";
inline constexpr const char* kCatalogSourceLabel = "violet.cpaas.io/catalog-source";
inline constexpr const char* kChartRepoLabel = "violet.cpaas.io/chart-repo";
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";

struct ArtifactTarget {
  std::string ns = "cpaas-system";
  std::string registry;                      // host the images are in: "10.0.0.1:11443"
  std::string catalog_source = "platform";   // operator bundles
  std::string chart_repo = "public-charts";  // charts
};

// bundle: operatorhub-<name>; plugin: cluster-plugin-<name>; chart: <chart repo>-<name>.
std::string ArtifactName(const package::PackageManifest& manifest, const ArtifactTarget& target);
// <artifact>.<version> lower-cased, characters a name cannot hold turned into '-'.
std::string ArtifactVersionName(const package::PackageManifest& manifest,
                                const ArtifactTarget& target);

nlohmann::json BuildArtifact(const package::PackageManifest& manifest,
                             const ArtifactTarget& target);
nlohmann::json BuildArtifactVersion(const package::PackageManifest& manifest,
                                    const ArtifactTarget& target);

}  // namespace violet
