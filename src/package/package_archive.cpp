#include "package/package_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

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

}  // namespace

absl::StatusOr<std::string> ReadArchiveMember(const std::string& archive_path,
                                              const std::string& member) {
  auto reader = OpenForReading(archive_path);
  if (!reader.ok()) return reader.status();
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    if (SafeRelative(archive_entry_pathname(entry)) != member) continue;
    std::string bytes;
    char buffer[1 << 14];
    la_ssize_t n;
    while ((n = archive_read_data(reader->get(), buffer, sizeof buffer)) > 0)
      bytes.append(buffer, n);
    if (n < 0) return Corrupt(archive_path, reader->get());
    return bytes;
  }
  if (rc != ARCHIVE_EOF) return Corrupt(archive_path, reader->get());
  return absl::NotFoundError(
      fmt::format("package {}: no {} in it; is it a violet package?", archive_path, member));
}

absl::Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir) {
  auto reader = OpenForReading(archive_path);
  if (!reader.ok()) return reader.status();
  std::error_code error;
  fs::create_directories(dest_dir, error);
  if (error) {
    return absl::InternalError(fmt::format("cannot create {}: {}", dest_dir, error.message()));
  }
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    const std::string relative = SafeRelative(name);
    if (relative.empty()) {
      return absl::FailedPreconditionError(fmt::format(
          "package {}: member \"{}\" points outside the package; refusing it", archive_path, name));
    }
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
    while ((n = archive_read_data(reader->get(), buffer, sizeof buffer)) > 0) out.write(buffer, n);
    if (n < 0) return Corrupt(archive_path, reader->get());
    if (!out.flush()) return absl::InternalError(fmt::format("cannot write {}", target.string()));
  }
  if (rc != ARCHIVE_EOF) return Corrupt(archive_path, reader->get());
  return absl::OkStatus();
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
