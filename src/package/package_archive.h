// Reading package archives (.tgz, through libarchive): one member's bytes for `violet show`,
// or a safe extraction (no absolute paths, no "..", no links or devices) for `violet push`.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace package {

// The bytes of `member` ("package.yaml"); NotFound when the archive has no such member.
absl::StatusOr<std::string> ReadArchiveMember(const std::string& archive,
                                              const std::string& member);

// Extracts regular files and directories into `dest_dir` (created). Refuses members that
// would land outside it, links and special files. Errors name the archive and the member.
absl::Status ExtractArchive(const std::string& archive, const std::string& dest_dir);

// `path` itself when it is a file; the *.tgz files directly in it (sorted) when it is a
// directory. Errors when it does not exist or the directory holds no package.
absl::StatusOr<std::vector<std::string>> FindPackages(const std::string& path);

}  // namespace package
