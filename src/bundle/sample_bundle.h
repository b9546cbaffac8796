// Writes a synthetic OCI-layout bundle for the quickstart, tests and benchmarks: Docker v2
// schema 2 and OCI manifests, multi-arch indexes of both kinds, a nested index, layers
// shared across images and repositories, real gzip'd tar layers with random content.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace bundle {

struct SampleBundleOptions {
  int images = 8;         // named images (repository:tag entries)
  int shared_layers = 2;  // layers every image shares (the "base image")
  int64_t shared_layer_bytes = 256 << 10;
  int layers_per_image = 2;  // distinct layers per image and architecture
  int64_t layer_bytes = 128 << 10;
  uint64_t seed = 1;  // same seed, same bytes, same digests
  std::string repository_prefix = "acp";
  bool docker_types = true;  // false: OCI media types only (skopeo 1.9's oci: reads no others)
};

absl::Status WriteSampleBundle(const std::string& dir, const SampleBundleOptions& options);

}  // namespace bundle
