#include "package/opened_package.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/absl_fmt.h"
#include "package/package_archive.h"

namespace package {

std::vector<std::string> OpenedPackage::ReferencedImages() const {
  std::vector<std::string> images{manifest.artifact};
  for (const std::string& image : manifest.related_images) {
    if (image != manifest.artifact) images.push_back(image);
  }
  return images;
}

absl::StatusOr<PackageManifest> ReadPackageManifest(const std::string& archive,
                                                    const ExtractLimits& limits) {
  auto text = ReadArchiveMember(archive, kManifestFile, kMaxManifestBytes, limits);
  if (!text.ok()) return text.status();
  return ParsePackageManifest(*text, archive);
}

namespace {

absl::StatusOr<OpenedPackage> OpenExtracted(const std::string& archive, const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path manifest_path = fs::path(dir) / kManifestFile;
  std::error_code error;
  if (!fs::is_regular_file(manifest_path, error)) {
    return absl::InvalidArgumentError(
        fmt::format("package {}: no {} in it; is it a violet package?", archive, kManifestFile));
  }
  std::ifstream in(manifest_path, std::ios::binary);
  std::string text(kMaxManifestBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  // ParsePackageManifest refuses more than kMaxManifestBytes.
  auto manifest = ParsePackageManifest(text, archive);
  if (!manifest.ok()) return manifest.status();
  auto layout = bundle::OciLayout::Open((fs::path(dir) / kImagesDir).string());
  if (!layout.ok()) {
    return absl::Status(layout.status().code(),
                        fmt::format("package {}: its images ({}/): {}", archive, kImagesDir,
                                    common::View(layout.status().message())));
  }
  OpenedPackage opened{archive, dir, std::move(*manifest), std::move(*layout)};
  std::set<std::string> in_layout;
  for (const bundle::Image& image : opened.layout.images()) in_layout.insert(image.name.ToString());
  for (const std::string& reference : opened.ReferencedImages()) {
    auto name = bundle::ParseImageName(reference);
    if (!name.ok() || !in_layout.contains(name->ToString())) {
      return absl::InvalidArgumentError(
          fmt::format("package {}: {} names image {} but {}/ does not hold it", archive,
                      kManifestFile, reference, kImagesDir));
    }
  }
  if (!opened.manifest.chart.empty() &&
      !fs::is_regular_file(fs::path(dir) / opened.manifest.chart)) {
    return absl::InvalidArgumentError(
        fmt::format("package {}: chart {} is not in the package", archive, opened.manifest.chart));
  }
  return opened;
}

}  // namespace

absl::StatusOr<OpenedPackage> OpenPackage(const std::string& archive, const std::string& work_dir,
                                          const ExtractLimits& limits) {
  namespace fs = std::filesystem;
  const std::string dir = (fs::path(work_dir) / fs::path(archive).filename()).string() + ".d";
  std::error_code error;
  fs::remove_all(dir, error);
  if (absl::Status status = ExtractArchive(archive, dir, limits); !status.ok()) return status;
  auto opened = OpenExtracted(archive, dir);
  if (!opened.ok()) fs::remove_all(dir, error);
  return opened;
}

}  // namespace package
