#include "bundle/tar_index.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <memory>

#include "common/absl_fmt.h"
#include "common/regular_file.h"

namespace bundle {
namespace {

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

absl::Status Refused(const std::string& path, const std::string& why) {
  return absl::FailedPreconditionError(
      fmt::format("bundle archive {}: {}; refusing it — rebuild the archive", path, why));
}

std::string Printable(std::string name) {
  if (name.size() > 120) name = name.substr(0, 120) + "...";
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return name;
}

// "./blobs/x" -> "blobs/x"; empty for the archive's root directory. Refuses what would point
// outside the layout.
absl::StatusOr<std::string> MemberName(const std::string& path, std::string name) {
  while (name.starts_with("./")) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  if (name == ".") name.clear();
  if (name.starts_with("/")) return Refused(path, "member " + Printable(name) + " is absolute");
  size_t start = 0;
  while (start <= name.size() && !name.empty()) {
    const size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part(name.data() + start, end - start);
    if (part == ".." || part == "." || part.empty()) {
      return Refused(path, "member " + Printable(name) + " has an empty, \".\" or \"..\" part");
    }
    start = end + 1;
  }
  return name;
}

}  // namespace

absl::StatusOr<std::string> CheckedMember(const std::string& path, archive_entry* entry,
                                          const TarIndexLimits& limits, int64_t* size) {
  const char* raw = archive_entry_pathname(entry);
  const std::string raw_name = raw != nullptr ? raw : "";
  if (raw_name.size() > limits.max_name_bytes) {
    return Refused(path, fmt::format("member {} has a name longer than {} bytes",
                                     Printable(raw_name), limits.max_name_bytes));
  }
  auto name = MemberName(path, raw_name);
  if (!name.ok()) return name.status();
  const mode_t type = archive_entry_filetype(entry);
  if (type == AE_IFDIR) return std::string();
  if (type != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
    return Refused(path, "member " + Printable(*name) + " is not a regular file");
  }
  if (archive_entry_sparse_count(entry) > 0) {
    return Refused(path, "member " + Printable(*name) + " is a sparse file");
  }
  *size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1;
  if (*size < 0 || *size > limits.max_member_bytes) {
    return Refused(path, fmt::format("member {} is {} bytes (at most {})", Printable(*name), *size,
                                     limits.max_member_bytes));
  }
  if (name->empty()) return Refused(path, "a regular-file member has no name");
  return name;
}

ArchiveCompression DetectCompression(const std::string& path) {
  absl::StatusOr<int> fd = common::OpenRegularFile(path, "bundle archive " + path);
  if (!fd.ok()) return ArchiveCompression::kNone;
  ArchivePtr reader(archive_read_new(), &archive_read_free);
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_filter_zstd(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  ArchiveCompression compression = ArchiveCompression::kNone;
  archive_entry* entry = nullptr;
  if (archive_read_open_fd(reader.get(), *fd, 1 << 16) == ARCHIVE_OK &&
      archive_read_next_header(reader.get(), &entry) != ARCHIVE_FATAL) {
    switch (archive_filter_code(reader.get(), 0)) {
      case ARCHIVE_FILTER_GZIP:
        compression = ArchiveCompression::kGzip;
        break;
      case ARCHIVE_FILTER_ZSTD:
        compression = ArchiveCompression::kZstd;
        break;
      default:
        break;
    }
  }
  reader.reset();
  close(*fd);
  return compression;
}

absl::StatusOr<TarIndex> IndexTar(const std::string& path, const TarIndexLimits& limits) {
  // A FIFO or a device named as the bundle would block or never end.
  absl::StatusOr<int> fd = common::OpenRegularFile(path, "bundle archive " + path);
  if (!fd.ok()) return fd.status();
  ArchivePtr reader(archive_read_new(), &archive_read_free);
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_filter_zstd(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  if (archive_read_open_fd(reader.get(), *fd, 1 << 16) != ARCHIVE_OK) {
    const char* reason = archive_error_string(reader.get());
    close(*fd);
    return Refused(path, fmt::format("it is not a tar of an OCI layout ({})",
                                     reason != nullptr ? reason : "unreadable"));
  }
  TarIndex index;
  archive_entry* entry = nullptr;
  int64_t members = 0;
  int rc;
  absl::Status failed;
  while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK ||
         rc == ARCHIVE_WARN) {
    if (members == 0) {
      switch (archive_filter_code(reader.get(), 0)) {
        case ARCHIVE_FILTER_NONE:
          break;
        case ARCHIVE_FILTER_GZIP:
          index.compression = ArchiveCompression::kGzip;
          break;
        case ARCHIVE_FILTER_ZSTD:
          index.compression = ArchiveCompression::kZstd;
          break;
        default:
          index.compression = ArchiveCompression::kOther;
      }
      if (index.compression != ArchiveCompression::kNone) break;
    }
    if (++members > limits.max_members) {
      failed = Refused(path, fmt::format("it has more than {} members", limits.max_members));
      break;
    }
    int64_t size = 0;
    auto name = CheckedMember(path, entry, limits, &size);
    if (!name.ok()) {
      failed = name.status();
      break;
    }
    if (name->empty()) continue;
    // Uncompressed: the bytes consumed so far are exactly the headers read, so the member's
    // data starts here (pax and GNU long-name headers included).
    const int64_t offset = archive_filter_bytes(reader.get(), 0);
    if (!index.members.emplace(*name, TarMember{offset, size}).second) {
      failed = Refused(path, "member " + Printable(*name) + " appears twice");
      break;
    }
  }
  if (failed.ok() && index.compression == ArchiveCompression::kNone && rc != ARCHIVE_EOF &&
      rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    const char* reason = archive_error_string(reader.get());
    failed = Refused(path, fmt::format("it is truncated or not a tar ({})",
                                       reason != nullptr ? reason : "unreadable"));
  }
  reader.reset();
  close(*fd);
  if (!failed.ok()) return failed;
  return index;
}

}  // namespace bundle
