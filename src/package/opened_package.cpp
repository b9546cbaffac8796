#include "package/opened_package.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

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

absl::StatusOr<PackageManifest> ReadPackageManifest(const std::string& archive) {
  auto text = ReadArchiveMember(archive, kManifestFile);
  if (!text.ok()) return text.status();
  return ParsePackageManifest(*text, archive);
}

absl::StatusOr<OpenedPackage> OpenPackage(const std::string& archive, const std::string& work_dir) {
  namespace fs = std::filesystem;
  const std::string dir = (fs::path(work_dir) / fs::path(archive).filename()).string() + ".d";
  std::error_code error;
  fs::remove_all(dir, error);
  if (absl::Status status = ExtractArchive(archive, dir); !status.ok()) return status;
  std::ifstream in(fs::path(dir) / kManifestFile);
  if (!in) {
    return absl::InvalidArgumentError(
        fmt::format("package {}: no {} in it; is it a violet package?", archive, kManifestFile));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto manifest = ParsePackageManifest(text.str(), archive);
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

}  // namespace package
