#include "upgrade/release_manifest.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "upgrade/version_rules.h"

namespace upgrade {
namespace {

bool LooksLikeImage(const std::string& image) {
  return !image.empty() && image.find(':') != std::string::npos &&
         image.find(' ') == std::string::npos && image.front() != '/';
}

}  // namespace

std::vector<std::string> ReleaseManifest::AllImages() const {
  std::vector<std::string> all;
  for (const std::string& image : images) {
    if (std::find(all.begin(), all.end(), image) == all.end()) all.push_back(image);
  }
  for (const std::string& image : {product_image, cvo_image}) {
    if (std::find(all.begin(), all.end(), image) == all.end()) all.push_back(image);
  }
  return all;
}

absl::StatusOr<ReleaseManifest> ParseReleaseManifest(const std::string& yaml,
                                                     const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not valid YAML (line {}): {}", source, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        fmt::format("{} must be a map with version, productImage, cvoImage, images", source));
  }
  ReleaseManifest manifest;
  try {
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (key == "version") {
        manifest.version = entry.second.as<std::string>();
      } else if (key == "productImage") {
        manifest.product_image = entry.second.as<std::string>();
      } else if (key == "cvoImage") {
        manifest.cvo_image = entry.second.as<std::string>();
      } else if (key == "images") {
        if (!entry.second.IsSequence()) {
          return absl::InvalidArgumentError(
              fmt::format("{}: images must be a list of repository:tag", source));
        }
        for (const auto& image : entry.second) manifest.images.push_back(image.as<std::string>());
      } else {
        return absl::InvalidArgumentError(
            fmt::format("{}: unknown key \"{}\" (expected version, productImage, cvoImage, images)",
                        source, key));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("{}: a value is not a string (line {}): {}", source, e.mark.line + 1, e.msg));
  }
  if (MinorOf(manifest.version).empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: version must be a release version like 4.3.0 (got \"{}\")", source, manifest.version));
  }
  for (const auto& [field, image] :
       {std::pair<const char*, std::string>{"productImage", manifest.product_image},
        {"cvoImage", manifest.cvo_image}}) {
    if (!LooksLikeImage(image)) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: {} must be repository:tag (e.g. acp/cluster-version-operator:v4.3.0), got \"{}\"",
          source, field, image));
    }
  }
  for (const std::string& image : manifest.images) {
    if (!LooksLikeImage(image)) {
      return absl::InvalidArgumentError(
          fmt::format("{}: image \"{}\" is not repository:tag", source, image));
    }
  }
  return manifest;
}

absl::StatusOr<ReleaseManifest> ReadReleaseManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(fmt::format(
        "release file {} not found — run from the extracted core package or pass --release <file>",
        path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseReleaseManifest(text.str(), path);
}

std::string ImageAt(const std::string& registry, const std::string& image) {
  return registry.empty() ? image : registry + "/" + image;
}

}  // namespace upgrade
