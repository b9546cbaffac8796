#include "upgrade/release_manifest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/untrusted_text.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/version_rules.h"

namespace upgrade {
namespace {

using nlohmann::json;

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

std::string ProductManifestName(const std::string& version) {
  std::string name = "acp-";
  for (char c : version) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name += std::isalnum(static_cast<unsigned char>(lower)) || lower == '.' || lower == '-' ? lower
                                                                                            : '-';
  }
  return name;
}

namespace {

absl::Status Named(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(), fmt::format("{}: {}", what, status.message()));
}

}  // namespace

absl::StatusOr<std::string> PublishProductManifest(k8s::RestClient& global,
                                                   const ReleaseManifest& release,
                                                   const std::string& registry) {
  using nlohmann::json;
  const std::string name = ProductManifestName(release.version);
  const std::string what = "ProductManifest " + name;
  const json spec = {{"version", release.version},
                     {"image", ImageAt(registry, release.product_image)},
                     {"cvoImage", ImageAt(registry, release.cvo_image)}};
  auto existing = global.Get(platform::kProductManifests, "", name);
  if (absl::IsNotFound(existing.status())) {
    const json object = {{"apiVersion", platform::kProductManifests.GroupVersion()},
                         {"kind", "ProductManifest"},
                         {"metadata", {{"name", name}}},
                         {"spec", spec}};
    auto created = global.Create(platform::kProductManifests, "", object);
    if (!created.ok()) return Named(created.status(), what);
    return what + ": created";
  }
  if (!existing.ok()) return Named(existing.status(), what);
  if (existing->value("spec", json::object()) == spec) return what + ": unchanged";
  auto patched = global.MergePatch(platform::kProductManifests, "", name, {{"spec", spec}});
  if (!patched.ok()) return Named(patched.status(), what);
  return what + ": updated";
}

absl::Status WaitForAvailableUpdate(k8s::RestClient& global, const std::string& cluster,
                                    const std::string& version, std::chrono::seconds timeout,
                                    std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen = fmt::format(
      "no ClusterVersionShadow {}/{} yet (deploy the CVO: bash "
      "upgrade.sh --skip-sync-image)",
      platform::kPlatformNamespace, cluster);
  while (true) {
    auto cvsh = global.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, cluster);
    if (cvsh.ok()) {
      const std::string current = platform::ClusterVersionShadowOf(*cvsh).current_version;
      if (!current.empty() && !VersionLess(current, version)) return absl::OkStatus();
      const json::json_pointer updates("/status/availableUpdates");
      std::vector<std::string> listed;
      if (cvsh->contains(updates) && cvsh->at(updates).is_array()) {
        for (const json& update : cvsh->at(updates)) {
          const std::string offered = k8s::StringField(update, "version");
          if (offered == version) return absl::OkStatus();
          if (listed.size() < 10) listed.push_back(offered);
        }
      }
      seen = listed.empty()
                 ? fmt::format(
                       "ClusterVersionShadow {}/{} lists no availableUpdates (is the CVO "
                       "running? kubectl -n cpaas-system get deploy "
                       "cluster-version-operator)",
                       platform::kPlatformNamespace, cluster)
                 : fmt::format("availableUpdates of {} lists {}", cluster, fmt::join(listed, ", "));
    } else if (!absl::IsNotFound(cvsh.status())) {
      return cvsh.status();
    }
    if (std::chrono::steady_clock::now() + poll > deadline) {
      return absl::DeadlineExceededError(
          fmt::format("{} did not show up in availableUpdates within {} s: {}", version,
                      timeout.count(), seen));
    }
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace upgrade
