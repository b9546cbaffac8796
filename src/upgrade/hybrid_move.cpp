#include "upgrade/hybrid_move.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bundle/blob_reader.h"
#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "k8s/json_fields.h"
#include "k8s/read_or_absent.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/name_list.h"

namespace upgrade {
namespace {

using nlohmann::json;

constexpr size_t kMaxConfigBytes = 4 << 20;

// The architecture a lone manifest's config names ("" when it names none).
absl::StatusOr<std::string> ConfigArchitecture(const bundle::OciLayout& layout,
                                               const bundle::ManifestNode& node) {
  if (node.blobs.empty()) return std::string();
  const bundle::Descriptor& blob = node.blobs.front();
  const std::string path = "image config " + blob.digest;
  if (blob.size > static_cast<int64_t>(kMaxConfigBytes)) {
    return absl::FailedPreconditionError(fmt::format("{} is {} bytes, more than the {} it may have",
                                                     path, blob.size, kMaxConfigBytes));
  }
  auto text = bundle::ReadVerifiedBlob(layout.Locate(blob.digest), blob.digest, blob.size, path);
  if (!text.ok()) return text.status();
  auto config =
      common::ParseJsonBounded(*text, kMaxConfigBytes, bundle::kMaxManifestJsonDepth, path);
  if (!config.ok()) return config.status();
  return k8s::StringField(*config, "architecture");
}

}  // namespace

absl::StatusOr<std::vector<ImageArchitectures>> BundleArchitectures(
    const bundle::OciLayout& layout) {
  std::vector<ImageArchitectures> out;
  for (const bundle::Image& image : layout.images()) {
    ImageArchitectures entry{image.name.ToString(), {}};
    // Iterative over the DAG (nesting is bounded by the layout reader).
    std::vector<const bundle::ManifestNode*> pending = {&image.root};
    while (!pending.empty()) {
      const bundle::ManifestNode* node = pending.back();
      pending.pop_back();
      if (!node->is_index()) {
        auto arch = ConfigArchitecture(layout, *node);
        if (!arch.ok()) return arch.status();
        if (!arch->empty()) entry.platforms.insert(*arch);
        continue;
      }
      // The index names its children's platforms; the layout reader verified the bytes.
      const json index = json::parse(node->bytes, nullptr, false);
      if (index.is_object() && index.contains("manifests") && index["manifests"].is_array()) {
        for (const json& manifest : index["manifests"]) {
          const std::string arch = k8s::StringAt(manifest, "/platform/architecture");
          if (!arch.empty() && arch != "unknown") entry.platforms.insert(arch);
        }
      }
      for (const auto& child : node->children) {
        if (child->is_index()) pending.push_back(child.get());
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::string> ImagesMissingArchitectures(
    const std::vector<ImageArchitectures>& images,
    const std::set<std::string>& node_architectures) {
  std::vector<std::string> missing;
  for (const ImageArchitectures& image : images) {
    std::vector<std::string> lacks;
    for (const std::string& arch : node_architectures) {
      if (!image.platforms.contains(arch)) lacks.push_back(arch);
    }
    if (!lacks.empty()) {
      missing.push_back(fmt::format("{} (has {}; lacks {})", image.image,
                                    image.platforms.empty()
                                        ? std::string("no architecture")
                                        : fmt::format("{}", fmt::join(image.platforms, ", ")),
                                    fmt::join(lacks, ", ")));
    }
  }
  return missing;
}

absl::StatusOr<std::set<std::string>> NodeArchitectures(k8s::RestClient& global) {
  auto nodes = k8s::ListOrEmpty(global, platform::kNodes, "");
  if (!nodes.ok()) return nodes.status();
  std::set<std::string> archs;
  for (const json& node : *nodes) {
    const std::string arch = platform::NodeOf(node).architecture;
    if (!arch.empty()) archs.insert(arch);
  }
  if (archs.empty()) {
    return absl::FailedPreconditionError(
        "no Node of the global cluster reports an architecture (label kubernetes.io/arch or "
        "status.nodeInfo.architecture); cannot tell which architectures the images need");
  }
  return archs;
}

absl::StatusOr<HybridBundleCheck> CheckHybridBundle(
    const std::string& bundle_dir, const std::set<std::string>& node_architectures) {
  auto layout = bundle::OciLayout::Open(bundle_dir);
  if (!layout.ok()) return layout.status();
  auto images = BundleArchitectures(*layout);
  if (!images.ok()) return images.status();
  const std::vector<std::string> missing = ImagesMissingArchitectures(*images, node_architectures);
  const std::string nodes = fmt::format("{}", fmt::join(node_architectures, ", "));
  if (!missing.empty()) {
    return HybridBundleCheck{
        false,
        fmt::format(
            "{} of the {} images of {} lack an architecture the global cluster's nodes run ({}): "
            "{} — is this the hybrid core package? label {} left on Cluster global",
            missing.size(), images->size(), bundle_dir, nodes, JoinNames(missing, 5),
            kNodeArchConstraintLabel)};
  }
  return HybridBundleCheck{
      true, fmt::format("all {} images of {} offer {}", images->size(), bundle_dir, nodes)};
}

absl::StatusOr<std::string> RemoveNodeArchConstraint(k8s::RestClient& global) {
  auto cluster = global.Get(platform::kClusters, "", platform::kGlobalCluster);
  if (!cluster.ok()) {
    return absl::Status(cluster.status().code(),
                        fmt::format("Cluster global: {}", cluster.status().message()));
  }
  const json::json_pointer labels("/metadata/labels");
  if (!cluster->contains(labels) || !cluster->at(labels).is_object() ||
      !cluster->at(labels).contains(kNodeArchConstraintLabel)) {
    return fmt::format("Cluster global: label {} was not set", kNodeArchConstraintLabel);
  }
  auto patched =
      global.MergePatch(platform::kClusters, "", platform::kGlobalCluster,
                        {{"metadata", {{"labels", {{kNodeArchConstraintLabel, nullptr}}}}}});
  if (!patched.ok()) {
    return absl::Status(patched.status().code(),
                        fmt::format("Cluster global: {}", patched.status().message()));
  }
  return fmt::format("Cluster global: label {} removed", kNodeArchConstraintLabel);
}

}  // namespace upgrade
