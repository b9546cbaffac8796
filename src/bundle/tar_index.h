// Where each member of an uncompressed tar of an OCI layout lies in the file, read once from
// its headers (libarchive), so blobs can be read in place at their offsets, in parallel.
// Hostile archives are bounded (members, name length, sizes) and refused in one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

struct archive_entry;

namespace bundle {

struct TarIndexLimits {
  int64_t max_members = 100000;  // a core package has a few thousand (names: <= ~110 MB held)
  size_t max_name_bytes = 1024;  // "blobs/sha256/<64 hex>" is 77
  int64_t max_member_bytes = int64_t{64} << 30;  // one layer
};

struct TarMember {
  int64_t offset = 0;  // of the member's first byte in the archive file
  int64_t size = 0;
};

enum class ArchiveCompression { kNone, kGzip, kZstd, kOther };

struct TarIndex {
  ArchiveCompression compression = ArchiveCompression::kNone;
  std::map<std::string, TarMember> members;  // regular files, by name without "./"
};

// Indexes `path`. Only regular files and directories are accepted (a link, a device or a
// sparse member is refused, as are absolute names, "..", and a name given twice). A
// compressed tar is recognised and reported (compression != kNone) with no members indexed:
// its bytes have no offsets to read at.
// The checked name of the member at `entry` of the archive `path` ("" for a directory) and its
// size in `size`: refuses, in one line, what IndexTar refuses (the streaming reader shares it).
absl::StatusOr<std::string> CheckedMember(const std::string& path, archive_entry* entry,
                                          const TarIndexLimits& limits, int64_t* size);

// The compression of the archive at `path`, from its first bytes (kNone for a plain tar or
// anything libarchive cannot open: IndexTar then says why).
ArchiveCompression DetectCompression(const std::string& path);

absl::StatusOr<TarIndex> IndexTar(const std::string& path, const TarIndexLimits& limits = {});

}  // namespace bundle
