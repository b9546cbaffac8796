#include "bundle/oci_layout.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "bundle/blob_reader.h"
#include "bundle/digest.h"
#include "bundle/media_types.h"
#include "bundle/tar_index.h"
#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/status_macros.h"

namespace bundle {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

absl::Status Corrupt(const std::string& dir, const std::string& what, const std::string& why) {
  return absl::FailedPreconditionError(
      fmt::format("bundle {} corrupt: {} {} — re-extract the bundle", dir, what, why));
}

std::string Shortened(std::string text) {
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

// Descriptor fields, checked; `what` names the referencing manifest in errors.
absl::StatusOr<Descriptor> ParseDescriptor(const json& node, const std::string& what) {
  if (!node.is_object() || !node.contains("digest") || !node["digest"].is_string() ||
      !node.contains("size") || !node["size"].is_number_integer()) {
    return absl::FailedPreconditionError(
        fmt::format("{}: descriptor without digest or size: {}", what, Shortened(node.dump())));
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

using Members = std::map<std::string, std::pair<int64_t, int64_t>>;  // name -> offset, size

std::string BlobName(const std::string& digest) {
  return "blobs/sha256/" + std::string(DigestHex(digest));
}

BlobLocation LocateIn(const std::string& dir, const Members& members, const std::string& digest) {
  if (members.empty()) return BlobLocation{dir + "/" + BlobName(digest)};
  auto found = members.find(BlobName(digest));
  // A missing member was refused by Open; a negative offset cannot be read.
  if (found == members.end()) return BlobLocation{dir, -1, true};
  return BlobLocation{dir, found->second.first, true};
}

using Held = std::map<std::string, std::string>;  // a streamed archive's leading members

class Reader {
 public:
  Reader(std::string dir, const Members& members) : dir_(std::move(dir)), members_(members) {}
  // A streamed archive: manifests are held in memory, blobs follow (sizes checked as they come).
  Reader(std::string dir, const Members& members, const Held* held)
      : dir_(std::move(dir)), members_(members), held_(held) {}

  BlobLocation Locate(const std::string& digest) const { return LocateIn(dir_, members_, digest); }

  // The blob's size on disk or in the archive; nullopt when it is missing.
  std::optional<int64_t> StoredSize(const std::string& digest) const {
    if (held_ != nullptr) {
      auto found = held_->find(BlobName(digest));
      if (found == held_->end()) return std::nullopt;
      return static_cast<int64_t>(found->second.size());
    }
    if (!members_.empty()) {
      auto found = members_.find(BlobName(digest));
      if (found == members_.end()) return std::nullopt;
      return found->second.second;
    }
    std::error_code error;
    const auto on_disk = fs::file_size(dir_ + "/" + BlobName(digest), error);
    if (error) return std::nullopt;
    return static_cast<int64_t>(on_disk);
  }

  // Counts bytes of manifests the layout holds in memory against kMaxLayoutManifestBytes.
  absl::Status Charge(size_t bytes) {
    held_bytes_ += bytes;
    if (held_bytes_ > kMaxLayoutManifestBytes) {
      return absl::InvalidArgumentError(fmt::format(
          "bundle {}: its manifests and indexes add up to more than {} bytes; refusing it", dir_,
          kMaxLayoutManifestBytes));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<json> ReadJson(const Descriptor& descriptor, const std::string& what,
                                std::string* bytes) {
    const std::string named = fmt::format("{} ({})", what, descriptor.digest);
    if (descriptor.size > static_cast<int64_t>(kMaxManifestBytes)) {
      return absl::InvalidArgumentError(
          fmt::format("bundle {}: {} is {} bytes, more than the {} a manifest or index may have; "
                      "refusing it",
                      dir_, named, descriptor.size, kMaxManifestBytes));
    }
    if ((!members_.empty() || held_ != nullptr) && !StoredSize(descriptor.digest).has_value()) {
      return Corrupt(dir_, named, "is missing");
    }
    if (held_ != nullptr) {
      *bytes = held_->at(BlobName(descriptor.digest));
      if (static_cast<int64_t>(bytes->size()) != descriptor.size) {
        return Corrupt(
            dir_, named,
            fmt::format("is {} bytes, the manifest says {}", bytes->size(), descriptor.size));
      }
      if (const std::string actual = Sha256Digest(*bytes); actual != descriptor.digest) {
        return absl::FailedPreconditionError(fmt::format(
            "bundle corrupt: {} has content {} — re-extract the bundle", named, actual));
      }
    } else {
      ASSIGN_OR_RETURN(*bytes, ReadVerifiedBlob(Locate(descriptor.digest), descriptor.digest,
                                                descriptor.size, named));
    }
    RETURN_IF_ERROR(Charge(bytes->size()));
    auto parsed = common::ParseJsonBounded(*bytes, kMaxManifestBytes, kMaxManifestJsonDepth, named);
    if (!parsed.ok()) {
      return absl::FailedPreconditionError(
          fmt::format("bundle {}: {}", dir_, common::View(parsed.status().message())));
    }
    return parsed;
  }

  // The manifest or index at `descriptor` and everything below it, `depth` indexes below an
  // image's root. Each digest is read once: a second reference shares the first node.
  absl::StatusOr<std::shared_ptr<const ManifestNode>> ReadNode(const Descriptor& descriptor,
                                                               const std::string& image,
                                                               int depth) {
    if (depth > kMaxIndexNesting) {
      return Corrupt(dir_, "image " + image,
                     fmt::format("nests indexes more than {} deep", kMaxIndexNesting));
    }
    if (auto cached = nodes_.find(descriptor.digest); cached != nodes_.end()) {
      if (depth + cached->second.height > kMaxIndexNesting) {
        return Corrupt(dir_, "image " + image,
                       fmt::format("nests indexes more than {} deep", kMaxIndexNesting));
      }
      if (cached->second.node->descriptor.size != descriptor.size) {
        return Corrupt(dir_, fmt::format("image {} manifest {}", image, descriptor.digest),
                       fmt::format("is referenced with size {} and with size {}", descriptor.size,
                                   cached->second.node->descriptor.size));
      }
      return cached->second.node;
    }
    auto node = std::make_shared<ManifestNode>();
    node->descriptor = descriptor;
    int height = 0;
    ASSIGN_OR_RETURN(json parsed,
                     ReadJson(descriptor, "image " + image + " manifest", &node->bytes));
    if (node->descriptor.media_type.empty() && parsed.contains("mediaType") &&
        parsed["mediaType"].is_string()) {
      node->descriptor.media_type = parsed["mediaType"].get<std::string>();
    }
    const std::string& type = node->descriptor.media_type;
    const std::string what = fmt::format("image {} manifest {}", image, descriptor.digest);
    if (IsIndexType(type)) {
      if (!parsed.contains("manifests") || !parsed["manifests"].is_array() ||
          parsed["manifests"].empty()) {
        return Corrupt(dir_, what, "is an index without manifests");
      }
      for (const json& child : parsed["manifests"]) {
        ASSIGN_OR_RETURN(Descriptor child_descriptor, ParseDescriptor(child, what));
        ASSIGN_OR_RETURN(auto child_node, ReadNode(child_descriptor, image, depth + 1));
        height = std::max(height, 1 + nodes_.at(child_descriptor.digest).height);
        node->children.push_back(std::move(child_node));
      }
    } else if (!IsManifestType(type)) {
      return absl::InvalidArgumentError(fmt::format(
          "bundle {}: {} has unsupported media type \"{}\" (OCI or Docker v2 schema 2 only)", dir_,
          what, Shortened(type)));
    } else {
      if (!parsed.contains("config")) return Corrupt(dir_, what, "has no config");
      ASSIGN_OR_RETURN(Descriptor config, ParseDescriptor(parsed["config"], what));
      node->blobs.push_back(config);
      if (parsed.contains("layers")) {
        if (!parsed["layers"].is_array()) return Corrupt(dir_, what, "has malformed layers");
        for (const json& layer : parsed["layers"]) {
          ASSIGN_OR_RETURN(Descriptor layer_descriptor, ParseDescriptor(layer, what));
          node->blobs.push_back(layer_descriptor);
        }
      }
      for (const Descriptor& blob : node->blobs) {
        const std::optional<int64_t> stored = StoredSize(blob.digest);
        if (!stored.has_value() && held_ != nullptr) continue;  // comes later in the stream
        if (!stored.has_value()) {
          return Corrupt(dir_, fmt::format("image {}: blob {}", image, blob.digest), "is missing");
        }
        if (*stored != blob.size) {
          return Corrupt(dir_, fmt::format("image {}: blob {}", image, blob.digest),
                         fmt::format("is {} bytes, the manifest says {}", *stored, blob.size));
        }
      }
    }
    std::shared_ptr<const ManifestNode> shared = std::move(node);
    nodes_[descriptor.digest] = Cached{shared, height};
    return shared;
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
        // A nested index reached again holds nothing new: its images are already collected.
        if (!nested_seen_.insert(descriptor.digest).second) continue;
        if (depth >= kMaxIndexNesting) {
          return Corrupt(dir_, where,
                         fmt::format("nests indexes more than {} deep", kMaxIndexNesting));
        }
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
      ASSIGN_OR_RETURN(auto root, ReadNode(descriptor, name->ToString(), 0));
      RETURN_IF_ERROR(Charge(root->bytes.size()));  // each image holds a copy of its root
      images.push_back(Image{*std::move(name), *root});
    }
    return absl::OkStatus();
  }

 private:
  struct Cached {
    std::shared_ptr<const ManifestNode> node;
    int height = 0;  // indexes below it
  };
  std::string dir_;
  const Members& members_;
  const Held* held_ = nullptr;
  std::map<std::string, Cached> nodes_;  // by digest
  std::set<std::string> nested_seen_;    // unnamed nested indexes of index.json's tree
  size_t held_bytes_ = 0;
};

}  // namespace

std::string OciLayout::BlobPath(const std::string& digest) const {
  return dir_ + "/" + BlobName(digest);
}

BlobLocation OciLayout::Locate(const std::string& digest) const {
  return LocateIn(dir_, members_, digest);
}

namespace {

// oci-layout or index.json from an archive: a member of at most kMaxManifestBytes.
absl::StatusOr<std::string> ReadMember(const std::string& archive, const Members& members,
                                       const std::string& name) {
  auto found = members.find(name);
  if (found == members.end()) return absl::NotFoundError(name + " is missing");
  if (found->second.second > static_cast<int64_t>(kMaxManifestBytes)) {
    return absl::FailedPreconditionError(fmt::format("{} is {} bytes, more than the {} it may have",
                                                     name, found->second.second,
                                                     kMaxManifestBytes));
  }
  absl::StatusOr<int> fd = common::OpenRegularFile(archive, "bundle archive " + archive);
  if (!fd.ok()) return fd.status();
  std::string text(static_cast<size_t>(found->second.second), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = pread(*fd, text.data() + got, text.size() - got,
                            static_cast<off_t>(found->second.first + static_cast<int64_t>(got)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(*fd);
  if (got != text.size()) return absl::FailedPreconditionError(name + " is cut short");
  return text;
}

}  // namespace

absl::StatusOr<OciLayout> OciLayout::Open(const std::string& dir) {
  std::error_code error;
  const bool is_dir = fs::is_directory(dir, error);
  if (!is_dir && !fs::exists(dir, error)) {
    return absl::NotFoundError(fmt::format(
        "bundle {} not found — pass --bundle with the images directory or images.tar", dir));
  }
  OciLayout layout;
  layout.dir_ = fs::absolute(dir).lexically_normal().string();
  if (layout.dir_.size() > 1 && layout.dir_.back() == '/') layout.dir_.pop_back();
  if (!is_dir) {
    ASSIGN_OR_RETURN(TarIndex index, IndexTar(layout.dir_));
    if (index.compression != ArchiveCompression::kNone) {
      return absl::InvalidArgumentError(fmt::format(
          "bundle {} is a compressed tar; image-sync reads an uncompressed one in place — "
          "decompress it first ({} -d -k {}) or extract it",
          layout.dir_, index.compression == ArchiveCompression::kZstd ? "zstd" : "gzip",
          layout.dir_));
    }
    for (const auto& [name, member] : index.members) {
      layout.members_[name] = {member.offset, member.size};
    }
    if (layout.members_.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "bundle {} is not an OCI image layout: the archive holds no files", layout.dir_));
    }
  }
  // oci-layout and index.json: small regular files (a FIFO there would block the read forever).
  const auto read_file = [&](const std::string& name) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> text =
        layout.members_.empty()
            ? common::ReadRegularFile(layout.dir_ + "/" + name, kMaxManifestBytes, name)
            : ReadMember(layout.dir_, layout.members_, name);
    if (absl::IsNotFound(text.status())) {
      return absl::InvalidArgumentError(
          fmt::format("bundle {} is not an OCI image layout: {} is missing", layout.dir_, name));
    }
    if (!text.ok()) {
      return absl::InvalidArgumentError(fmt::format("bundle {}: {}; refusing it", layout.dir_,
                                                    common::View(text.status().message())));
    }
    return text;
  };
  ASSIGN_OR_RETURN(std::string marker, read_file("oci-layout"));
  ASSIGN_OR_RETURN(std::string index_text, read_file("index.json"));
  RETURN_IF_ERROR(layout.ReadImages(marker, index_text, nullptr));
  return layout;
}

absl::StatusOr<OciLayout> OciLayout::FromHeldMembers(
    const std::string& archive, const std::map<std::string, std::string>& held) {
  OciLayout layout;
  layout.dir_ = archive;
  layout.streamed_ = true;
  for (const char* name : {"oci-layout", "index.json"}) {
    if (!held.contains(name)) {
      return absl::InvalidArgumentError(
          fmt::format("bundle {} is not an OCI image layout: {} is missing", archive, name));
    }
  }
  RETURN_IF_ERROR(layout.ReadImages(held.at("oci-layout"), held.at("index.json"), &held));
  return layout;
}

absl::Status OciLayout::ReadImages(const std::string& marker, const std::string& index_text,
                                   const std::map<std::string, std::string>* held) {
  OciLayout& layout = *this;
  auto version = common::ParseJsonBounded(marker, kMaxManifestBytes, 4, "oci-layout");
  if (!version.ok() || !version->is_object() || !version->contains("imageLayoutVersion")) {
    return absl::InvalidArgumentError(fmt::format(
        "bundle {}: oci-layout has no imageLayoutVersion — not an OCI image layout", layout.dir_));
  }
  auto index =
      common::ParseJsonBounded(index_text, kMaxManifestBytes, kMaxManifestJsonDepth, "index.json");
  if (!index.ok()) {
    return absl::FailedPreconditionError(fmt::format("bundle {}: {} — re-extract the bundle",
                                                     layout.dir_,
                                                     common::View(index.status().message())));
  }
  if (!index->is_object()) return Corrupt(layout.dir_, "index.json", "is not a JSON object");
  Reader reader(layout.dir_, layout.members_, held);
  std::set<std::string> names;
  RETURN_IF_ERROR(reader.CollectImages(*index, "index.json", 0, layout.images_, names));
  if (layout.images_.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("bundle {} names no images (no {} annotations in index.json)", layout.dir_,
                    kRefNameAnnotation));
  }
  return absl::OkStatus();
}

}  // namespace bundle
