#include "upgrade/release_manifest.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/untrusted_text.h"
#include "upgrade/version_rules.h"

namespace upgrade {
namespace {

// A release lists a few hundred images, nested two levels.
constexpr size_t kMaxReleaseBytes = 1 << 20;
constexpr int kMaxReleaseDepth = 16;

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
  auto parsed = common::ParseYamlBounded(yaml, kMaxReleaseBytes, kMaxReleaseDepth, source);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node root = *parsed;
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
                        source, common::Clip(key, 64)));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("{}: a value is not a string (line {}): {}", source, e.mark.line + 1, e.msg));
  }
  if (MinorOf(manifest.version).empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: version must be a release version like 4.3.0 (got \"{}\")", source,
                    common::Clip(manifest.version, 64)));
  }
  for (const auto& [field, image] :
       {std::pair<const char*, std::string>{"productImage", manifest.product_image},
        {"cvoImage", manifest.cvo_image}}) {
    if (!LooksLikeImage(image)) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: {} must be repository:tag (e.g. acp/cluster-version-operator:v4.3.0), got \"{}\"",
          source, field, common::Clip(image, 256)));
    }
  }
  for (const std::string& image : manifest.images) {
    if (!LooksLikeImage(image)) {
      return absl::InvalidArgumentError(
          fmt::format("{}: image \"{}\" is not repository:tag", source, common::Clip(image, 256)));
    }
  }
  return manifest;
}

absl::StatusOr<ReleaseManifest> ReadReleaseManifest(const std::string& path) {
  auto text = common::ReadRegularFile(path, kMaxReleaseBytes, "release file " + path);
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(fmt::format(
        "release file {} not found — run from the extracted core package or pass --release <file>",
        path));
  }
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}; refusing it", common::View(text.status().message())));
  }
  return ParseReleaseManifest(*text, path);
}

std::string ImageAt(const std::string& registry, const std::string& image) {
  return registry.empty() ? image : registry + "/" + image;
}

}  // namespace upgrade
