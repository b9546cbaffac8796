// Writes an OCI layout as the tar image-sync reads in place (images.tar), in the member order
// our archives define: oci-layout, index.json, every manifest and index, then the blobs
// (configs and layers, each once). A streaming reader (a compressed tar read in one pass)
// then knows every image before the first blob arrives.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "bundle/oci_layout.h"
#include "bundle/tar_index.h"

namespace bundle {

// Writes `layout` (opened from a directory) to `path` (uncompressed, gzip or zstd); written to
// <path>.partial first and renamed, so a failure leaves no half archive behind.
absl::Status WriteLayoutArchive(const OciLayout& layout, const std::string& path,
                                ArchiveCompression compression = ArchiveCompression::kNone);

}  // namespace bundle
