#include "package/package_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>

#include "common/status_macros.h"

namespace package {
namespace {

namespace fs = std::filesystem;

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

absl::Status Corrupt(const std::string& path, archive* reader) {
  const char* reason = archive_error_string(reader);
  return absl::FailedPreconditionError(fmt::format(
      "package {}: the archive is corrupt or truncated ({}); download it again and check it "
      "with violet verify",
      path, reason ? reason : "unreadable"));
}

absl::StatusOr<ArchivePtr> OpenForReading(const std::string& path) {
  ArchivePtr reader(archive_read_new(), &archive_read_free);
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
      return absl::InvalidArgumentError(fmt::format("package {}: no such file", path));
    }
    return Corrupt(path, reader.get());
  }
  return reader;
}

// "./a/b" -> "a/b"; empty when the name escapes (absolute, "..").
std::string SafeRelative(const std::string& name) {
  fs::path path = fs::path(name).lexically_normal();
  if (path.is_absolute()) return "";
  std::string text = path.generic_string();
  if (text.starts_with("./")) text = text.substr(2);
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (text == ".") return ".";
  for (const auto& part : fs::path(text)) {
    if (part == "..") return "";
  }
  return text;
}

// The checks every member's header goes through, in archive order: name, duplicates, count
// and the declared sizes against the limits (before any byte is written).
class MemberChecks {
 public:
  MemberChecks(std::string archive, const ExtractLimits& limits)
      : archive_(std::move(archive)), limits_(limits) {
    std::error_code error;
    const auto size = fs::file_size(archive_, error);
    archive_bytes_ = error ? 0 : static_cast<int64_t>(size);
  }

  // The member's path relative to the package root ("./a/b" -> "a/b").
  absl::StatusOr<std::string> Header(archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    const std::string name = raw ? raw : "";
    if (name.size() > kMaxMemberNameBytes) {
      return Refuse(fmt::format("a member's name is longer than {} bytes", kMaxMemberNameBytes));
    }
    const std::string relative = SafeRelative(name);
    if (relative.empty()) {
      return Refuse(fmt::format("member \"{}\" points outside the package", name));
    }
    if (++members_ > limits_.max_members) {
      return Refuse(
          fmt::format("it holds more than {} members (--max-members)", limits_.max_members));
    }
    if (!seen_.insert(relative).second) {
      return Refuse(fmt::format(
          "member \"{}\" appears twice in the archive; a package holds each path once", relative));
    }
    if (archive_entry_size_is_set(entry)) {
      const int64_t size = archive_entry_size(entry);
      RETURN_IF_ERROR(CheckMember(relative, size));
      declared_ += size;
      RETURN_IF_ERROR(CheckTotal(declared_));
    }
    return relative;
  }

  // Bytes actually produced so far for member `relative` (libarchive's, not the header's).
  absl::Status Produced(const std::string& relative, int64_t member_bytes, int64_t chunk) {
    produced_ += chunk;
    RETURN_IF_ERROR(CheckMember(relative, member_bytes));
    return CheckTotal(produced_);
  }

  absl::Status Refuse(const std::string& why) const {
    return absl::FailedPreconditionError(fmt::format("package {}: {}; refusing it", archive_, why));
  }

 private:
  absl::Status CheckMember(const std::string& relative, int64_t size) const {
    if (size > limits_.max_member_bytes) {
      return Refuse(fmt::format(
          "member \"{}\" is {} bytes, more than the limit of {} per member (--max-member-bytes)",
          relative, size, limits_.max_member_bytes));
    }
    return absl::OkStatus();
  }

  absl::Status CheckTotal(int64_t total) const {
    if (total > limits_.max_total_bytes) {
      return Refuse(
          fmt::format("it extracts to more than the limit of {} bytes (--max-extract-bytes)",
                      limits_.max_total_bytes));
    }
    if (limits_.max_ratio > 0 && total > kRatioFloorBytes && archive_bytes_ > 0 &&
        total / limits_.max_ratio > archive_bytes_) {
      return Refuse(fmt::format(
          "it extracts to more than {} times its size ({} bytes from a {}-byte archive; limit "
          "--max-extract-ratio), as a decompression bomb does",
          limits_.max_ratio, total, archive_bytes_));
    }
    return absl::OkStatus();
  }

  std::string archive_;
  ExtractLimits limits_;
  int64_t archive_bytes_ = 0;
  int64_t members_ = 0, declared_ = 0, produced_ = 0;
  std::set<std::string> seen_;
};

}  // namespace

absl::StatusOr<std::string> ReadArchiveMember(const std::string& archive_path,
                                              const std::string& member, size_t max_bytes,
                                              const ExtractLimits& limits) {
  auto reader = OpenForReading(archive_path);
  if (!reader.ok()) return reader.status();
  MemberChecks checks(archive_path, limits);
  std::optional<std::string> found;
  archive_entry* entry = nullptr;
  int rc;
  // Every header is read, also after the member: a second copy of it is refused, never
  // silently shadowed (extraction would keep the last one).
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    ASSIGN_OR_RETURN(const std::string relative, checks.Header(entry));
    if (relative != member) continue;
    if (archive_entry_size_is_set(entry) &&
        archive_entry_size(entry) > static_cast<int64_t>(max_bytes)) {
      return checks.Refuse(fmt::format("{} is {} bytes, more than the {} allowed", member,
                                       archive_entry_size(entry), max_bytes));
    }
    std::string bytes;
    char buffer[1 << 14];
    la_ssize_t n;
    while ((n = archive_read_data(reader->get(), buffer, sizeof buffer)) > 0) {
      if (bytes.size() + static_cast<size_t>(n) > max_bytes) {
        return checks.Refuse(
            fmt::format("{} is more than the {} bytes allowed", member, max_bytes));
      }
      bytes.append(buffer, n);
    }
    if (n < 0) return Corrupt(archive_path, reader->get());
    found = std::move(bytes);
  }
  if (rc != ARCHIVE_EOF) return Corrupt(archive_path, reader->get());
  if (found) return *std::move(found);
  return absl::NotFoundError(
      fmt::format("package {}: no {} in it; is it a violet package?", archive_path, member));
}

namespace {

absl::Status ExtractInto(const std::string& archive_path, const std::string& dest_dir,
                         const ExtractLimits& limits) {
  auto reader = OpenForReading(archive_path);
  if (!reader.ok()) return reader.status();
  std::error_code error;
  fs::create_directories(dest_dir, error);
  if (error) {
    return absl::InternalError(fmt::format("cannot create {}: {}", dest_dir, error.message()));
  }
  MemberChecks checks(archive_path, limits);
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    ASSIGN_OR_RETURN(const std::string relative, checks.Header(entry));
    const mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) {
      fs::create_directories(fs::path(dest_dir) / relative, error);
      continue;
    }
    if (type != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
      return absl::FailedPreconditionError(fmt::format(
          "package {}: member \"{}\" is a link or special file; packages hold plain files only",
          archive_path, name));
    }
    const fs::path target = fs::path(dest_dir) / relative;
    fs::create_directories(target.parent_path(), error);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(fmt::format("cannot write {}", target.string()));
    char buffer[1 << 16];
    la_ssize_t n;
    int64_t member_bytes = 0;
    while ((n = archive_read_data(reader->get(), buffer, sizeof buffer)) > 0) {
      member_bytes += n;
      RETURN_IF_ERROR(checks.Produced(relative, member_bytes, n));
      out.write(buffer, n);
    }
    if (n < 0) return Corrupt(archive_path, reader->get());
    if (!out.flush()) return absl::InternalError(fmt::format("cannot write {}", target.string()));
  }
  if (rc != ARCHIVE_EOF) return Corrupt(archive_path, reader->get());
  return absl::OkStatus();
}

}  // namespace

absl::Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir,
                            const ExtractLimits& limits) {
  absl::Status status = ExtractInto(archive_path, dest_dir, limits);
  if (!status.ok()) {
    std::error_code error;
    fs::remove_all(dest_dir, error);
  }
  return status;
}

absl::StatusOr<std::vector<std::string>> FindPackages(const std::string& path) {
  std::error_code error;
  if (fs::is_regular_file(path, error)) return std::vector<std::string>{path};
  if (!fs::is_directory(path, error)) {
    return absl::InvalidArgumentError(fmt::format("{}: no such package file or directory", path));
  }
  std::vector<std::string> packages;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".tgz") {
      packages.push_back(entry.path().string());
    }
  }
  std::sort(packages.begin(), packages.end());
  if (packages.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: the directory holds no *.tgz package", path));
  }
  return packages;
}

}  // namespace package
