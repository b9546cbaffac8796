// `violet show`'s text: Name:, Type:, Arch:, Version: and, with --all, Artifact: and
// RelateImages: (the spelling the original tool prints).
#pragma once

#include <string>

#include "package/package_manifest.h"

namespace violet {

std::string FormatShow(const package::PackageManifest& manifest, bool all);

}  // namespace violet
