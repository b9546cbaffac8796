// The core package's release description, `release.yaml` beside upgrade.sh: the version it
// installs, the product and CVO images, and every image the release needs in the registry.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

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

}  // namespace upgrade
