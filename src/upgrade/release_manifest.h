// The core package's release description, `release.yaml` beside upgrade.sh: the version it
// installs, the product and CVO images, and every image the release needs in the registry;
// and its publication on the platform as a ProductManifest (Era B, acp-spec.md §7).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace upgrade {

// release.yaml:
//   version: 4.3.0
//   productImage: acp/product-image:v4.3.0          # repository:tag, no registry host
//   cvoImage: acp/cluster-version-operator:v4.3.0
//   images: [acp/component-0:v1, ...]               # productImage/cvoImage need not repeat
struct ReleaseManifest {
  std::string version;
  std::string product_image;
  std::string cvo_image;
  std::vector<std::string> images;

  // images + productImage + cvoImage, each once, in that order.
  std::vector<std::string> AllImages() const;
};

// Errors name `source` (the file) and the field: one line.
absl::StatusOr<ReleaseManifest> ParseReleaseManifest(const std::string& yaml,
                                                     const std::string& source);
absl::StatusOr<ReleaseManifest> ReadReleaseManifest(const std::string& path);

// "<registry>/<repository:tag>".
std::string ImageAt(const std::string& registry, const std::string& image);

// "acp-4.3.0": the ProductManifest that publishes `version`.
std::string ProductManifestName(const std::string& version);

// Creates or updates the cluster-scoped ProductManifest acp-<version> on global, spec
// {version, image, cvoImage} with the images at `registry`. One line:
// "ProductManifest acp-4.3.0: created|updated|unchanged".
absl::StatusOr<std::string> PublishProductManifest(k8s::RestClient& global,
                                                   const ReleaseManifest& release,
                                                   const std::string& registry);

// Waits until ClusterVersionShadow cpaas-system/<cluster> lists `version` in
// status.availableUpdates (or already runs it or a newer one), polling every `poll`.
// DeadlineExceeded after `timeout`, naming what was last seen (no cvsh, no CVO listing).
absl::Status WaitForAvailableUpdate(
    k8s::RestClient& global, const std::string& cluster, const std::string& version,
    std::chrono::seconds timeout, std::chrono::milliseconds poll = std::chrono::milliseconds(500));

}  // namespace upgrade
