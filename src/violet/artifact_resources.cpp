#include "violet/artifact_resources.h"

#include <cctype>

#include "bundle/image_name.h"

namespace violet {

using nlohmann::json;

std::string ArtifactName(const package::PackageManifest& manifest, const ArtifactTarget& target) {
  switch (manifest.type) {
    case package::PackageType::kOperatorBundle:
      return "operatorhub-" + manifest.name;
    case package::PackageType::kClusterPlugin:
      return "cluster-plugin-" + manifest.name;
    case package::PackageType::kChart:
      return target.chart_repo + "-" + manifest.name;
  }
  return manifest.name;
}

std::string ArtifactVersionName(const package::PackageManifest& manifest,
                                const ArtifactTarget& target) {
  std::string version;
  for (char c : manifest.version) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    version += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '-';
  }
  return ArtifactName(manifest, target) + "." + version;
}

namespace {

json CommonLabels(const package::PackageManifest& manifest, const ArtifactTarget& target) {
  json labels = {{kPackageNameLabel, manifest.name},
                 {kPackageTypeLabel, package::TypeName(manifest.type)},
                 {kManagedByLabel, "violet"}};
  if (manifest.type == package::PackageType::kOperatorBundle) {
    labels[kCatalogSourceLabel] = target.catalog_source;
  }
  if (manifest.type == package::PackageType::kChart) labels[kChartRepoLabel] = target.chart_repo;
  if (!manifest.lifecycle.empty()) labels[kLifecycleLabel] = manifest.lifecycle;
  return labels;
}

}  // namespace

json BuildArtifact(const package::PackageManifest& manifest, const ArtifactTarget& target) {
  const std::string name = ArtifactName(manifest, target);
  const std::string repository = bundle::ParseImageName(manifest.artifact)->repository;
  return {{"apiVersion", "app.alauda.io/v1alpha1"},
          {"kind", "Artifact"},
          {"metadata",
           {{"name", name}, {"namespace", target.ns}, {"labels", CommonLabels(manifest, target)}}},
          {"spec",
           {{"artifactVersionSelector", {{"matchLabels", {{kArtifactVersionLabel, name}}}}},
            {"present", true},
            {"registry", target.registry},
            {"repository", repository},
            {"type", package::TypeName(manifest.type)},
            {"displayName", manifest.display_name}}}};
}

json BuildArtifactVersion(const package::PackageManifest& manifest, const ArtifactTarget& target) {
  json labels = CommonLabels(manifest, target);
  labels[kArtifactVersionLabel] = ArtifactName(manifest, target);
  return {{"apiVersion", "app.alauda.io/v1alpha1"},
          {"kind", "ArtifactVersion"},
          {"metadata",
           {{"name", ArtifactVersionName(manifest, target)},
            {"namespace", target.ns},
            {"labels", labels},
            {"annotations", {{"violet.cpaas.io/version", manifest.version}}}}},
          {"spec", {{"present", true}, {"tag", bundle::ParseImageName(manifest.artifact)->tag}}}};
}

}  // namespace violet
