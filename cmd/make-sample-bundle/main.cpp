// make-sample-bundle: writes a synthetic OCI-layout bundle (see bundle/sample_bundle.h) for
// the quickstart, the integration tests and the benchmark.
#include <CLI/CLI.hpp>
#include <iostream>

#include "bundle/layout_archive.h"
#include "bundle/oci_layout.h"
#include "bundle/sample_bundle.h"
#include "cli/app.h"
#include "cli/fail.h"
#include "common/exit_codes.h"

int main(int argc, char** argv) {
  cli::SetToolName("make-sample-bundle");
  CLI::App app{"Writes a sample OCI image layout bundle."};
  cli::LogFlags log;
  cli::AddCommonFlags(app, log);
  std::string dir;
  bundle::SampleBundleOptions options;
  double shared_mib = 0.25, layer_mib = 0.125;
  app.add_option("dir", dir, "output directory (created)")->required();
  app.add_option("--images", options.images, "named images")->check(CLI::Range(1, 10000));
  app.add_option("--shared-layers", options.shared_layers, "layers every image shares");
  app.add_option("--shared-layer-mib", shared_mib, "size of each shared layer");
  app.add_option("--layers-per-image", options.layers_per_image,
                 "distinct layers per image and architecture");
  app.add_option("--layer-mib", layer_mib, "size of each distinct layer");
  app.add_option("--seed", options.seed, "same seed, same digests");
  app.add_option("--prefix", options.repository_prefix, "repository prefix");
  std::string archive, compress = "none";
  app.add_option("--archive", archive,
                 "also write the layout as a tar in our member order (images.tar, see "
                 "cmd/image-sync/README.md)");
  app.add_option("--compress", compress, "the archive's compression")
      ->check(CLI::IsMember({"none", "gzip", "zstd"}));
  bool oci_only = false;
  app.add_flag("--oci-only", oci_only, "OCI media types only (no Docker v2 schema 2)");
  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);
  options.docker_types = !oci_only;
  options.shared_layer_bytes = static_cast<int64_t>(shared_mib * 1024 * 1024);
  options.layer_bytes = static_cast<int64_t>(layer_mib * 1024 * 1024);
  absl::Status status = bundle::WriteSampleBundle(dir, options);
  if (!status.ok()) return cli::Fail(exit_code::kFailed, status);
  std::cout << dir << "\n";
  if (!archive.empty()) {
    auto layout = bundle::OciLayout::Open(dir);
    if (!layout.ok()) return cli::Fail(exit_code::kFailed, layout.status());
    status = bundle::WriteLayoutArchive(*layout, archive,
                                        compress == "gzip"   ? bundle::ArchiveCompression::kGzip
                                        : compress == "zstd" ? bundle::ArchiveCompression::kZstd
                                                             : bundle::ArchiveCompression::kNone);
    if (!status.ok()) return cli::Fail(exit_code::kFailed, status);
    std::cout << archive << "\n";
  }
  return exit_code::kOk;
}
