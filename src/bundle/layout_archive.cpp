#include "bundle/layout_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "bundle/digest.h"

namespace bundle {
namespace {

namespace fs = std::filesystem;
using WriterPtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

absl::Status Failed(const std::string& path, archive* writer) {
  const char* reason = archive_error_string(writer);
  return absl::InternalError(fmt::format("cannot write archive {} ({})", path,
                                         reason != nullptr ? reason : "write failed"));
}

}  // namespace

absl::Status WriteLayoutArchive(const OciLayout& layout, const std::string& path,
                                ArchiveCompression compression) {
  if (layout.archived()) {
    return absl::InvalidArgumentError("the layout to archive must be a directory");
  }
  // Members in order: the layout files, manifests (parents before children, each once), blobs.
  std::vector<std::string> names = {"oci-layout", "index.json"};
  std::vector<std::string> blobs;
  std::set<std::string> seen;
  std::function<void(const ManifestNode&)> walk = [&](const ManifestNode& node) {
    if (!seen.insert(node.descriptor.digest).second) return;
    names.push_back("blobs/sha256/" + std::string(DigestHex(node.descriptor.digest)));
    for (const auto& child : node.children) walk(*child);
    for (const Descriptor& blob : node.blobs) {
      if (seen.insert(blob.digest).second) {
        blobs.push_back("blobs/sha256/" + std::string(DigestHex(blob.digest)));
      }
    }
  };
  for (const Image& image : layout.images()) walk(image.root);
  // Nested unnamed indexes of index.json are manifests too: any other file under blobs/ that
  // is small goes with the manifests (it is read before the images are known).
  std::error_code error;
  for (fs::directory_iterator it(layout.dir() + "/blobs/sha256", error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = "blobs/sha256/" + it->path().filename().string();
    if (std::find(names.begin(), names.end(), name) == names.end() &&
        std::find(blobs.begin(), blobs.end(), name) == blobs.end()) {
      names.push_back(name);
    }
  }
  names.insert(names.end(), blobs.begin(), blobs.end());

  const std::string partial = path + ".partial";
  WriterPtr writer(archive_write_new(), &archive_write_free);
  archive_write_set_format_pax_restricted(writer.get());
  if (compression == ArchiveCompression::kGzip) archive_write_add_filter_gzip(writer.get());
  if (compression == ArchiveCompression::kZstd) archive_write_add_filter_zstd(writer.get());
  if (archive_write_open_filename(writer.get(), partial.c_str()) != ARCHIVE_OK) {
    return Failed(partial, writer.get());
  }
  absl::Status status;
  const auto add = [&](const std::string& name, mode_t type, int64_t size) -> bool {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        &archive_entry_free);
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(entry.get(), size);
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK) {
      status = Failed(partial, writer.get());
      return false;
    }
    return true;
  };
  std::vector<char> buffer(1 << 20);
  for (const std::string& name : names) {
    const std::string file = layout.dir() + "/" + name;
    const auto size = fs::file_size(file, error);
    if (error) {
      status = absl::FailedPreconditionError(
          fmt::format("cannot archive {}: {} ({})", layout.dir(), name, error.message()));
      break;
    }
    if (!add(name, AE_IFREG, static_cast<int64_t>(size))) break;
    std::unique_ptr<FILE, decltype(&fclose)> in(fopen(file.c_str(), "rb"), &fclose);
    if (!in) {
      status = absl::FailedPreconditionError(fmt::format("cannot read {}", file));
      break;
    }
    size_t got;
    while ((got = fread(buffer.data(), 1, buffer.size(), in.get())) > 0) {
      if (archive_write_data(writer.get(), buffer.data(), got) < 0) {
        status = Failed(partial, writer.get());
        break;
      }
    }
    if (!status.ok()) break;
  }
  if (status.ok() && archive_write_close(writer.get()) != ARCHIVE_OK) {
    status = Failed(partial, writer.get());
  }
  writer.reset();
  if (status.ok()) {
    fs::rename(partial, path, error);
    if (error)
      status = absl::InternalError(fmt::format("cannot rename {}: {}", partial, error.message()));
  }
  if (!status.ok()) fs::remove(partial, error);
  return status;
}

}  // namespace bundle
