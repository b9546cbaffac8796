#include "bundle/sample_bundle.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "bundle/digest.h"
#include "bundle/media_types.h"
#include "bundle/oci_layout.h"
#include "common/status_macros.h"

namespace bundle {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Layer {
  std::string digest;   // of the gzip'd tar (the blob)
  std::string diff_id;  // of the tar
  int64_t size = 0;
};

class Writer {
 public:
  explicit Writer(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Prepare() {
    std::error_code error;
    fs::create_directories(dir_ + "/blobs/sha256", error);
    if (error) {
      return absl::InternalError(fmt::format("cannot create {}: {}", dir_, error.message()));
    }
    return WriteFile(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }

  absl::StatusOr<Descriptor> PutBlob(std::string_view type, const std::string& bytes) {
    Descriptor descriptor{std::string(type), Sha256Digest(bytes),
                          static_cast<int64_t>(bytes.size())};
    RETURN_IF_ERROR(WriteFile(BlobPath(descriptor.digest), bytes));
    return descriptor;
  }

  // A tar holding one file of `bytes` pseudo-random bytes, gzip'd (stored blocks: random
  // data does not compress and the benchmark wants to generate a GiB quickly).
  absl::StatusOr<Layer> PutLayer(const std::string& name, int64_t bytes, uint64_t seed) {
    const std::string temp = dir_ + "/blobs/sha256/.layer.tmp";
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    z_stream zs{};
    deflateInit2(&zs, Z_NO_COMPRESSION, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
    Sha256 tar_hash, blob_hash;
    Layer layer;
    std::vector<unsigned char> compressed(1 << 20);
    const auto feed = [&](const char* data, size_t size, bool finish) {
      tar_hash.Update(data, size);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
      zs.avail_in = static_cast<uInt>(size);
      do {
        zs.next_out = compressed.data();
        zs.avail_out = static_cast<uInt>(compressed.size());
        deflate(&zs, finish ? Z_FINISH : Z_NO_FLUSH);
        const size_t produced = compressed.size() - zs.avail_out;
        out.write(reinterpret_cast<const char*>(compressed.data()), produced);
        blob_hash.Update(compressed.data(), produced);
        layer.size += static_cast<int64_t>(produced);
      } while (zs.avail_out == 0 || (finish && zs.avail_in > 0));
    };
    char header[512] = {};
    std::snprintf(header, 100, "%s", name.c_str());
    std::snprintf(header + 100, 8, "%07o", 0644);
    std::snprintf(header + 108, 8, "%07o", 0);
    std::snprintf(header + 116, 8, "%07o", 0);
    std::snprintf(header + 124, 12, "%011llo", static_cast<unsigned long long>(bytes));
    std::snprintf(header + 136, 12, "%011o", 0);
    header[156] = '0';
    std::memcpy(header + 257, "ustar", 6);
    std::memcpy(header + 263, "00", 2);
    std::memset(header + 148, ' ', 8);
    unsigned checksum = 0;
    for (unsigned char c : header) checksum += c;
    std::snprintf(header + 148, 8, "%06o", checksum);
    feed(header, sizeof(header), false);
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E5ull;
    std::vector<uint64_t> chunk(1 << 17);
    for (int64_t left = bytes; left > 0;) {
      for (uint64_t& word : chunk) {  // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        word = state * 0x2545F4914F6CDD1Dull;
      }
      const size_t take = static_cast<size_t>(std::min<int64_t>(left, chunk.size() * 8));
      feed(reinterpret_cast<const char*>(chunk.data()), take, false);
      left -= static_cast<int64_t>(take);
    }
    std::vector<char> tail((512 - bytes % 512) % 512 + 1024, '\0');
    feed(tail.data(), tail.size(), true);
    deflateEnd(&zs);
    out.close();
    if (!out) return absl::InternalError(fmt::format("cannot write {}", temp));
    layer.digest = blob_hash.Finish();
    layer.diff_id = tar_hash.Finish();
    std::error_code error;
    fs::rename(temp, BlobPath(layer.digest), error);
    if (error) return absl::InternalError(fmt::format("cannot rename {}", temp));
    return layer;
  }

  absl::Status WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return absl::InternalError(fmt::format("cannot write {}", path));
    return absl::OkStatus();
  }

  std::string BlobPath(const std::string& digest) const {
    return dir_ + "/blobs/sha256/" + std::string(DigestHex(digest));
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

json ToJson(const Descriptor& descriptor) {
  return json{{"mediaType", descriptor.media_type},
              {"digest", descriptor.digest},
              {"size", descriptor.size}};
}

}  // namespace

absl::Status WriteSampleBundle(const std::string& dir, const SampleBundleOptions& options) {
  Writer writer(dir);
  RETURN_IF_ERROR(writer.Prepare());
  std::vector<Layer> shared;
  for (int i = 0; i < options.shared_layers; ++i) {
    ASSIGN_OR_RETURN(Layer layer,
                     writer.PutLayer(fmt::format("base/{}.bin", i), options.shared_layer_bytes,
                                     options.seed * 1000003 + i));
    shared.push_back(layer);
  }
  // One single-arch image manifest; `docker` picks the Docker v2 schema 2 media types.
  const auto put_manifest = [&](int image, const std::string& arch,
                                bool docker) -> absl::StatusOr<Descriptor> {
    std::vector<Layer> layers = shared;
    for (int l = 0; l < options.layers_per_image; ++l) {
      const uint64_t seed = options.seed * 7919 + static_cast<uint64_t>(image) * 131 +
                            static_cast<uint64_t>(l) * 17 + (arch == "arm64" ? 5 : 0) + 1000000;
      ASSIGN_OR_RETURN(Layer layer, writer.PutLayer(fmt::format("app/{}-{}-{}.bin", image, arch, l),
                                                    options.layer_bytes, seed));
      layers.push_back(layer);
    }
    json diff_ids = json::array();
    for (const Layer& layer : layers) diff_ids.push_back(layer.diff_id);
    const json config{{"architecture", arch},
                      {"os", "linux"},
                      {"config", {{"Cmd", {"/bin/app", std::to_string(image)}}}},
                      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    ASSIGN_OR_RETURN(Descriptor config_descriptor,
                     writer.PutBlob(docker ? kDockerConfig : kOciConfig, config.dump()));
    json manifest{{"schemaVersion", 2},
                  {"mediaType", docker ? kDockerManifest : kOciManifest},
                  {"config", ToJson(config_descriptor)},
                  {"layers", json::array()}};
    for (const Layer& layer : layers) {
      manifest["layers"].push_back(ToJson(
          {std::string(docker ? kDockerLayerGzip : kOciLayerGzip), layer.digest, layer.size}));
    }
    return writer.PutBlob(docker ? kDockerManifest : kOciManifest, manifest.dump(3));
  };

  json top = json::array();
  json nested = json::array();
  for (int i = 0; i < options.images; ++i) {
    // Every fifth image is a second tag of the previous repository.
    const bool second_tag = i % 5 == 4;
    const std::string ref_name = fmt::format("{}/component-{}:{}", options.repository_prefix,
                                             second_tag ? i - 1 : i, second_tag ? "v2" : "v1");
    Descriptor root;
    switch (options.docker_types ? i % 4 : (i % 4) & ~1) {
      case 0: {
        ASSIGN_OR_RETURN(root, put_manifest(i, "amd64", options.docker_types));
        break;
      }
      case 1: {
        ASSIGN_OR_RETURN(root, put_manifest(i, "amd64", false));
        break;
      }
      default: {  // multi-arch: 2 = OCI index, 3 = Docker manifest list
        const bool docker = options.docker_types && i % 4 == 3;
        json index{{"schemaVersion", 2},
                   {"mediaType", docker ? kDockerManifestList : kOciIndex},
                   {"manifests", json::array()}};
        for (const std::string arch : {"amd64", "arm64"}) {
          ASSIGN_OR_RETURN(Descriptor child, put_manifest(i, arch, docker));
          json entry = ToJson(child);
          entry["platform"] = {{"architecture", arch}, {"os", "linux"}};
          index["manifests"].push_back(entry);
        }
        ASSIGN_OR_RETURN(root,
                         writer.PutBlob(docker ? kDockerManifestList : kOciIndex, index.dump(3)));
      }
    }
    json entry = ToJson(root);
    entry["annotations"] = {{std::string(kRefNameAnnotation), ref_name}};
    // The last image sits in a nested (unnamed) index, as some bundle tools write them.
    (i == options.images - 1 && options.images >= 3 ? nested : top).push_back(entry);
  }
  if (!nested.empty()) {
    json index{{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", nested}};
    ASSIGN_OR_RETURN(Descriptor descriptor, writer.PutBlob(kOciIndex, index.dump()));
    top.push_back(ToJson(descriptor));
  }
  json index{{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", top}};
  return writer.WriteFile(dir + "/index.json", index.dump(2));
}

}  // namespace bundle
