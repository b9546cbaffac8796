#include "violet/show_format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace violet {

std::string FormatShow(const package::PackageManifest& manifest, bool all) {
  std::string out = fmt::format("Name: {}\nType: {}\nArch: [{}]\nVersion: {}\n", manifest.name,
                                package::TypeName(manifest.type),
                                fmt::join(manifest.architectures, " "), manifest.version);
  if (all) {
    out += fmt::format("Artifact: {}\nRelateImages: [{}]\n", manifest.artifact,
                       fmt::join(manifest.related_images, " "));
  }
  return out;
}

}  // namespace violet
