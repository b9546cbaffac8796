// Reading package archives (.tgz, through libarchive): one member's bytes for `violet show`,
// or a safe extraction (no absolute paths, no "..", no links or devices, no duplicate
// members, bounded sizes) for `violet push`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace package {

// What an archive may expand to; checked on each member's header, before its bytes are
// written (and again on the bytes). A package is a handful of manifests plus image layers,
// which are compressed already: tens of GB are plausible, a high ratio is not.
struct ExtractLimits {
  int64_t max_total_bytes = int64_t{128} << 30;  // all members (violet --max-extract-bytes)
  int64_t max_member_bytes = int64_t{64} << 30;  // one member (--max-member-bytes)
  int64_t max_members = 100000;                  // members, directories included (--max-members)
  // Extracted bytes per byte of archive, checked once more than kRatioFloorBytes would be
  // extracted (small packages may compress well); 0 turns it off (--max-extract-ratio).
  int64_t max_ratio = 100;
};
inline constexpr int64_t kRatioFloorBytes = int64_t{64} << 20;
inline constexpr size_t kMaxMemberNameBytes = 1024;

// The bytes of `member` ("package.yaml"), at most `max_bytes` of them; NotFound when the
// archive has no such member. The whole archive's headers are checked (limits, duplicates).
absl::StatusOr<std::string> ReadArchiveMember(const std::string& archive, const std::string& member,
                                              size_t max_bytes, const ExtractLimits& limits = {});

// Extracts regular files and directories into `dest_dir` (created). Refuses members that
// would land outside it, links and special files, a path that appears twice ("a" and "./a"),
// and an archive beyond `limits`. Errors name the archive and the member or the limit; on
// an error `dest_dir` is removed (nothing half-extracted is left).
absl::Status ExtractArchive(const std::string& archive, const std::string& dest_dir,
                            const ExtractLimits& limits = {});

// `path` itself when it is a file; the *.tgz files directly in it (sorted) when it is a
// directory. Errors when it does not exist or the directory holds no package.
absl::StatusOr<std::vector<std::string>> FindPackages(const std::string& path);

}  // namespace package
