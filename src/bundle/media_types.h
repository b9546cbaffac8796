// The manifest and index media types a bundle may hold: OCI and Docker v2 schema 2.
// Anything else (schema 1, unknown artifacts at the top level) is refused by the reader.
#pragma once

#include <string_view>

namespace bundle {

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

inline bool IsIndexType(std::string_view type) {
  return type == kOciIndex || type == kDockerManifestList;
}
inline bool IsManifestType(std::string_view type) {
  return type == kOciManifest || type == kDockerManifest;
}

// The Accept header value for manifest requests: every type above.
inline constexpr std::string_view kAllManifestTypes =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

}  // namespace bundle
