// A package unpacked for pushing: its manifest, its OCI image layout, and the check that
// the artifact and every related image the manifest names are in that layout.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bundle/oci_layout.h"
#include "package/package_archive.h"
#include "package/package_manifest.h"

namespace package {

struct OpenedPackage {
  std::string archive;  // the .tgz
  std::string dir;      // where it was extracted
  PackageManifest manifest;
  bundle::OciLayout layout;
  // The artifact first, then the related images: what must be in the registry before CRs.
  std::vector<std::string> ReferencedImages() const;
};

// Reads only package.yaml (for `violet show` and push's plan); the archive's headers are
// checked against `limits` and for duplicates on the way.
absl::StatusOr<PackageManifest> ReadPackageManifest(const std::string& archive,
                                                    const ExtractLimits& limits = {});

// Extracts `archive` under `work_dir` and validates it. Errors (InvalidArgument or
// FailedPrecondition) start with "package <archive>:" and say what is wrong; the extracted
// directory is removed then.
absl::StatusOr<OpenedPackage> OpenPackage(const std::string& archive, const std::string& work_dir,
                                          const ExtractLimits& limits = {});

}  // namespace package
