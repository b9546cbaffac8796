#include "bundle/oci_layout.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bundle/blob_reader.h"
#include "bundle/digest.h"
#include "bundle/media_types.h"
#include "common/absl_fmt.h"
#include "common/status_macros.h"

namespace bundle {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kMaxDepth = 8;

absl::Status Corrupt(const std::string& dir, const std::string& what, const std::string& why) {
  return absl::FailedPreconditionError(
      fmt::format("bundle {} corrupt: {} {} — re-extract the bundle", dir, what, why));
}

// Descriptor fields, checked; `what` names the referencing manifest in errors.
absl::StatusOr<Descriptor> ParseDescriptor(const json& node, const std::string& what) {
  if (!node.is_object() || !node.contains("digest") || !node["digest"].is_string() ||
      !node.contains("size") || !node["size"].is_number_integer()) {
    return absl::FailedPreconditionError(
        fmt::format("{}: descriptor without digest or size: {}", what, node.dump()));
  }
  Descriptor descriptor;
  descriptor.digest = node["digest"].get<std::string>();
  descriptor.size = node["size"].get<int64_t>();
  if (node.contains("mediaType") && node["mediaType"].is_string()) {
    descriptor.media_type = node["mediaType"].get<std::string>();
  }
  absl::Status valid = ValidateDigest(descriptor.digest);
  if (!valid.ok()) {
    return absl::FailedPreconditionError(fmt::format("{}: {}", what, valid.message()));
  }
  if (descriptor.size < 0) {
    return absl::FailedPreconditionError(fmt::format("{}: negative size", what));
  }
  return descriptor;
}

class Reader {
 public:
  explicit Reader(std::string dir) : dir_(std::move(dir)) {}

  std::string BlobPath(const std::string& digest) const {
    return dir_ + "/blobs/sha256/" + std::string(DigestHex(digest));
  }

  absl::StatusOr<json> ReadJson(const Descriptor& descriptor, const std::string& what,
                                std::string* bytes) {
    ASSIGN_OR_RETURN(
        *bytes, ReadVerifiedBlob(BlobPath(descriptor.digest), descriptor.digest, descriptor.size,
                                 fmt::format("{} ({})", what, descriptor.digest)));
    try {
      return json::parse(*bytes);
    } catch (const json::exception&) {
      return Corrupt(dir_, fmt::format("{} ({})", what, descriptor.digest), "is not JSON");
    }
  }

  // Reads the manifest or index at `descriptor` and everything below it.
  absl::StatusOr<ManifestNode> ReadNode(const Descriptor& descriptor, const std::string& image,
                                        int depth) {
    if (depth > kMaxDepth) {
      return Corrupt(dir_, "image " + image, "nests indexes more than 8 deep");
    }
    ManifestNode node;
    node.descriptor = descriptor;
    ASSIGN_OR_RETURN(json parsed,
                     ReadJson(descriptor, "image " + image + " manifest", &node.bytes));
    if (node.descriptor.media_type.empty() && parsed.contains("mediaType") &&
        parsed["mediaType"].is_string()) {
      node.descriptor.media_type = parsed["mediaType"].get<std::string>();
    }
    const std::string& type = node.descriptor.media_type;
    const std::string what = fmt::format("image {} manifest {}", image, descriptor.digest);
    if (IsIndexType(type)) {
      if (!parsed.contains("manifests") || !parsed["manifests"].is_array() ||
          parsed["manifests"].empty()) {
        return Corrupt(dir_, what, "is an index without manifests");
      }
      for (const json& child : parsed["manifests"]) {
        ASSIGN_OR_RETURN(Descriptor child_descriptor, ParseDescriptor(child, what));
        ASSIGN_OR_RETURN(ManifestNode child_node, ReadNode(child_descriptor, image, depth + 1));
        node.children.push_back(std::move(child_node));
      }
      return node;
    }
    if (!IsManifestType(type)) {
      return absl::InvalidArgumentError(fmt::format(
          "bundle {}: {} has unsupported media type \"{}\" (OCI or Docker v2 schema 2 only)", dir_,
          what, type));
    }
    if (!parsed.contains("config")) return Corrupt(dir_, what, "has no config");
    ASSIGN_OR_RETURN(Descriptor config, ParseDescriptor(parsed["config"], what));
    node.blobs.push_back(config);
    if (parsed.contains("layers")) {
      if (!parsed["layers"].is_array()) return Corrupt(dir_, what, "has malformed layers");
      for (const json& layer : parsed["layers"]) {
        ASSIGN_OR_RETURN(Descriptor layer_descriptor, ParseDescriptor(layer, what));
        node.blobs.push_back(layer_descriptor);
      }
    }
    for (const Descriptor& blob : node.blobs) {
      std::error_code error;
      const auto on_disk = fs::file_size(BlobPath(blob.digest), error);
      if (error) {
        return Corrupt(dir_, fmt::format("image {}: blob {}", image, blob.digest), "is missing");
      }
      if (static_cast<int64_t>(on_disk) != blob.size) {
        return Corrupt(dir_, fmt::format("image {}: blob {}", image, blob.digest),
                       fmt::format("is {} bytes, the manifest says {}", on_disk, blob.size));
      }
    }
    return node;
  }

  // Collects named images from an index (index.json or an unnamed nested index).
  absl::Status CollectImages(const json& index, const std::string& where, int depth,
                             std::vector<Image>& images, std::set<std::string>& names) {
    if (!index.contains("manifests") || !index["manifests"].is_array()) {
      return Corrupt(dir_, where, "has no manifests list");
    }
    for (const json& entry : index["manifests"]) {
      ASSIGN_OR_RETURN(Descriptor descriptor, ParseDescriptor(entry, where));
      std::string ref_name;
      if (entry.contains("annotations") && entry["annotations"].is_object()) {
        const json& annotations = entry["annotations"];
        const std::string key(kRefNameAnnotation);
        if (annotations.contains(key) && annotations[key].is_string()) {
          ref_name = annotations[key].get<std::string>();
        }
      }
      if (ref_name.empty()) {
        if (!IsIndexType(descriptor.media_type)) {
          spdlog::warn("bundle {}: {} entry {} has no {} annotation; skipped", dir_, where,
                       descriptor.digest, kRefNameAnnotation);
          continue;
        }
        if (depth > kMaxDepth) return Corrupt(dir_, where, "nests indexes more than 8 deep");
        std::string bytes;
        ASSIGN_OR_RETURN(json nested, ReadJson(descriptor, "nested index", &bytes));
        RETURN_IF_ERROR(CollectImages(nested, fmt::format("nested index {}", descriptor.digest),
                                      depth + 1, images, names));
        continue;
      }
      auto name = ParseImageName(ref_name);
      if (!name.ok()) {
        return absl::InvalidArgumentError(
            fmt::format("bundle {}: {}: {}", dir_, where, name.status().message()));
      }
      if (!names.insert(name->ToString()).second) {
        return absl::InvalidArgumentError(
            fmt::format("bundle {}: image {} is named twice", dir_, name->ToString()));
      }
      ASSIGN_OR_RETURN(ManifestNode root, ReadNode(descriptor, name->ToString(), 0));
      images.push_back(Image{*std::move(name), std::move(root)});
    }
    return absl::OkStatus();
  }

 private:
  std::string dir_;
};

}  // namespace

std::string OciLayout::BlobPath(const std::string& digest) const {
  return dir_ + "/blobs/sha256/" + std::string(DigestHex(digest));
}

absl::StatusOr<OciLayout> OciLayout::Open(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(
        fmt::format("bundle {} not found — pass --bundle <dir> with the extracted images", dir));
  }
  OciLayout layout;
  layout.dir_ = fs::absolute(dir).lexically_normal().string();
  if (layout.dir_.size() > 1 && layout.dir_.back() == '/') layout.dir_.pop_back();
  const auto read_file = [&](const std::string& name) -> absl::StatusOr<std::string> {
    std::ifstream in(layout.dir_ + "/" + name, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          fmt::format("bundle {} is not an OCI image layout: {} is missing", layout.dir_, name));
    }
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  ASSIGN_OR_RETURN(std::string marker, read_file("oci-layout"));
  ASSIGN_OR_RETURN(std::string index_text, read_file("index.json"));
  try {
    const json version = json::parse(marker);
    if (!version.contains("imageLayoutVersion")) throw std::runtime_error("no version");
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(fmt::format(
        "bundle {}: oci-layout has no imageLayoutVersion — not an OCI image layout", layout.dir_));
  }
  json index;
  try {
    index = json::parse(index_text);
  } catch (const json::exception&) {
    return Corrupt(layout.dir_, "index.json", "is not JSON");
  }
  Reader reader(layout.dir_);
  std::set<std::string> names;
  RETURN_IF_ERROR(reader.CollectImages(index, "index.json", 0, layout.images_, names));
  if (layout.images_.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("bundle {} names no images (no {} annotations in index.json)", layout.dir_,
                    kRefNameAnnotation));
  }
  return layout;
}

}  // namespace bundle
