#include "bundle/layout_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <vector>

#include "bundle/digest.h"
#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/status_macros.h"

namespace bundle {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kBlobPrefix = "blobs/sha256/";

// "sha256:<hex>" for a member named blobs/sha256/<hex>; empty for anything else.
std::string MemberDigest(const std::string& name) {
  if (!name.starts_with(kBlobPrefix)) return "";
  std::string digest = "sha256:" + name.substr(kBlobPrefix.size());
  return ValidateDigest(digest).ok() ? digest : "";
}

const char* DecompressCommand(ArchiveCompression compression) {
  return compression == ArchiveCompression::kZstd ? "zstd" : "gzip";
}

// The digests a manifest or index names: children to read as manifests, blobs to stream.
void Referenced(const std::string& bytes, std::vector<std::string>& manifests,
                std::vector<std::string>& blobs) {
  auto parsed = common::ParseJsonBounded(bytes, kMaxManifestBytes, kMaxManifestJsonDepth, "member");
  if (!parsed.ok() || !parsed->is_object()) return;  // OciLayout::FromHeldMembers says why
  const auto digest_of = [](const json& node) -> std::string {
    if (!node.is_object() || !node.contains("digest") || !node["digest"].is_string()) return "";
    return node["digest"].get<std::string>();
  };
  if (parsed->contains("manifests") && (*parsed)["manifests"].is_array()) {
    for (const json& child : (*parsed)["manifests"]) manifests.push_back(digest_of(child));
  }
  if (parsed->contains("config")) blobs.push_back(digest_of((*parsed)["config"]));
  if (parsed->contains("layers") && (*parsed)["layers"].is_array()) {
    for (const json& layer : (*parsed)["layers"]) blobs.push_back(digest_of(layer));
  }
}

}  // namespace

SpooledBlob::SpooledBlob(std::string digest_, int64_t size_, std::string path_,
                         std::atomic<int64_t>* in_use)
    : digest(std::move(digest_)), size(size_), path(std::move(path_)), in_use_(in_use) {}

SpooledBlob::~SpooledBlob() {
  unlink(path.c_str());
  *in_use_ -= size;
}

LayoutStream::~LayoutStream() {
  if (reader_ != nullptr) archive_read_free(reader_);
  if (fd_ >= 0) close(fd_);
  if (!spool_dir_.empty()) {
    std::error_code error;
    fs::remove_all(spool_dir_, error);
  }
}

absl::Status LayoutStream::ArchiveError(const std::string& while_doing) {
  failed_ = true;
  const char* reason = archive_error_string(reader_);
  return absl::FailedPreconditionError(
      fmt::format("bundle {} corrupt: the archive is truncated or its {} stream is damaged ({}) "
                  "while reading {} — fetch the package again",
                  path_, DecompressCommand(compression_), reason != nullptr ? reason : "unreadable",
                  while_doing));
}

absl::StatusOr<std::unique_ptr<LayoutStream>> LayoutStream::Open(const std::string& path,
                                                                 const LayoutStreamLimits& limits) {
  std::unique_ptr<LayoutStream> stream(new LayoutStream());
  stream->path_ = fs::absolute(path).lexically_normal().string();
  stream->limits_ = limits;
  // A FIFO or a device named as the bundle would block or never end.
  ASSIGN_OR_RETURN(stream->fd_,
                   common::OpenRegularFile(stream->path_, "bundle archive " + stream->path_));
  stream->reader_ = archive_read_new();
  archive_read_support_filter_gzip(stream->reader_);
  archive_read_support_filter_zstd(stream->reader_);
  archive_read_support_format_tar(stream->reader_);
  archive_read_support_format_gnutar(stream->reader_);
  if (archive_read_open_fd(stream->reader_, stream->fd_, 1 << 20) != ARCHIVE_OK) {
    const char* reason = archive_error_string(stream->reader_);
    return absl::InvalidArgumentError(fmt::format(
        "bundle archive {}: it is truncated or not a compressed tar of an OCI layout ({}); "
        "refusing it — rebuild the archive",
        stream->path_, reason != nullptr ? reason : "unreadable"));
  }
  RETURN_IF_ERROR(stream->ReadLeadingMembers());
  ASSIGN_OR_RETURN(OciLayout layout, OciLayout::FromHeldMembers(stream->path_, stream->held_));
  stream->layout_ = std::make_unique<OciLayout>(std::move(layout));
  // Every blob the images reference, iteratively (indexes share children).
  std::vector<const ManifestNode*> stack;
  for (const Image& image : stream->layout_->images()) {
    stack.push_back(&image.root);
    const std::string name = image.name.ToString();
    while (!stack.empty()) {
      const ManifestNode* node = stack.back();
      stack.pop_back();
      for (const Descriptor& blob : node->blobs) {
        if (stream->blob_sizes_.emplace(blob.digest, blob.size).second) {
          stream->blob_images_[blob.digest] = name;
        }
      }
      for (const auto& child : node->children) stack.push_back(child.get());
    }
  }
  // Manifests are in memory: only blobs stay held (those that came early and are small).
  for (auto it = stream->held_.begin(); it != stream->held_.end();) {
    const std::string digest = MemberDigest(it->first);
    it = digest.empty() || !stream->blob_sizes_.contains(digest) ? stream->held_.erase(it)
                                                                 : std::next(it);
  }
  // The spool: a private directory (0700) of 0600 files, removed with the stream.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string parent = !limits.spool_parent.empty()             ? limits.spool_parent
                       : tmpdir != nullptr && tmpdir[0] != '\0' ? tmpdir
                                                                : "/tmp";
  std::string templ = parent + "/image-sync-spool.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::FailedPreconditionError(fmt::format(
        "cannot create the spool directory in {} ({}) — set TMPDIR to a writable directory "
        "with room for the largest blob",
        parent, std::strerror(errno)));
  }
  stream->spool_dir_ = templ;
  return stream;
}

absl::Status LayoutStream::ReadLeadingMembers() {
  switch (archive_filter_code(reader_, 0)) {
    case ARCHIVE_FILTER_GZIP:
      compression_ = ArchiveCompression::kGzip;
      break;
    case ARCHIVE_FILTER_ZSTD:
      compression_ = ArchiveCompression::kZstd;
      break;
    default:
      break;
  }
  std::set<std::string> pending;   // manifests named and not read yet
  std::set<std::string> resolved;  // manifests read
  std::set<std::string> blobs;     // named as a config or a layer
  bool marker = false, index = false;
  int64_t held_bytes = 0;
  // Reads what a manifest (or index.json) names, and the held members it makes manifests.
  std::deque<std::string> work;  // digests of held members to read as manifests
  const auto name_all = [&](const std::string& bytes) {
    std::vector<std::string> manifests, named_blobs;
    Referenced(bytes, manifests, named_blobs);
    for (const std::string& digest : named_blobs) blobs.insert(digest);
    for (const std::string& digest : manifests) {
      if (digest.empty() || ValidateDigest(digest).ok() == false || resolved.contains(digest)) {
        continue;
      }
      if (held_.contains(std::string(kBlobPrefix) + std::string(DigestHex(digest)))) {
        work.push_back(digest);
        resolved.insert(digest);
      } else {
        pending.insert(digest);
      }
    }
  };
  const auto drain = [&] {
    while (!work.empty()) {
      const std::string digest = work.front();
      work.pop_front();
      name_all(held_.at(std::string(kBlobPrefix) + std::string(DigestHex(digest))));
    }
  };
  archive_entry* entry = nullptr;
  while (true) {
    if (marker && index && pending.empty()) return absl::OkStatus();
    const int rc = archive_read_next_header(reader_, &entry);
    if (rc == ARCHIVE_EOF) return absl::OkStatus();  // FromHeldMembers names what is missing
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return ArchiveError("the manifests");
    if (++members_seen_ > limits_.members.max_members) {
      return absl::InvalidArgumentError(
          fmt::format("bundle archive {}: it has more than {} members; refusing it", path_,
                      limits_.members.max_members));
    }
    int64_t size = 0;
    ASSIGN_OR_RETURN(std::string name, CheckedMember(path_, entry, limits_.members, &size));
    if (name.empty()) continue;
    const std::string digest = MemberDigest(name);
    const bool wanted_manifest = !digest.empty() && pending.contains(digest);
    const bool layout_file = name == "oci-layout" || name == "index.json";
    if (size > limits_.max_held_member_bytes) {
      if (wanted_manifest || layout_file) {
        return absl::InvalidArgumentError(fmt::format(
            "bundle {}: {} is {} bytes, more than the {} a manifest or index may have; refusing it",
            path_, name, size, limits_.max_held_member_bytes));
      }
      return absl::InvalidArgumentError(fmt::format(
          "bundle {}: member {} ({} bytes) comes before {}; a compressed archive is read in one "
          "pass and needs oci-layout, index.json and the manifests first (the order "
          "make-sample-bundle --archive and our packages write) — decompress it to images.tar "
          "({} -dc {} > images.tar), which is read in place",
          path_, name, size, index ? "the manifests that name it" : "index.json",
          DecompressCommand(compression_), path_));
    }
    if (held_bytes + size > limits_.max_held_bytes) {
      return absl::InvalidArgumentError(
          fmt::format("bundle {}: the members before its first blob add up to more than {} bytes; "
                      "refusing it",
                      path_, limits_.max_held_bytes));
    }
    std::string bytes(static_cast<size_t>(size), '\0');
    const la_ssize_t got = size == 0 ? 0 : archive_read_data(reader_, bytes.data(), bytes.size());
    if (got != static_cast<la_ssize_t>(size)) return ArchiveError(name);
    if (held_.contains(name)) {
      return absl::InvalidArgumentError(fmt::format(
          "bundle archive {}: member {} appears twice; refusing it — rebuild the archive", path_,
          name));
    }
    held_bytes += size;
    held_[name] = std::move(bytes);
    if (name == "oci-layout") marker = true;
    if (name == "index.json") {
      index = true;
      name_all(held_[name]);
      // Members held before index.json may be the manifests it names.
      drain();
    } else if (wanted_manifest) {
      pending.erase(digest);
      resolved.insert(digest);
      name_all(held_[name]);
      drain();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const SpooledBlob>> LayoutStream::Spool(const std::string& digest,
                                                                       int64_t size,
                                                                       const std::string* held) {
  const std::string path = spool_dir_ + "/" + std::string(DigestHex(digest));
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    failed_ = true;
    return absl::FailedPreconditionError(
        fmt::format("cannot write the spool file {} ({}) — set TMPDIR to a writable directory "
                    "with room for the largest blob",
                    path, std::strerror(errno)));
  }
  spool_in_use_ += size;
  spool_peak_ = std::max<int64_t>(spool_peak_, spool_in_use_);
  // Owns the file from here: an error below removes it.
  auto blob = std::make_shared<const SpooledBlob>(digest, size, path, &spool_in_use_);
  const std::string what = fmt::format("image {} blob {}", ImageOf(digest), digest);
  Sha256 hasher;
  int64_t done = 0;
  std::vector<char> buffer(held != nullptr ? 0 : 1 << 20);
  absl::Status status;
  while (done < size) {
    const char* data;
    size_t count;
    if (held != nullptr) {
      data = held->data();
      count = held->size();
    } else {
      const la_ssize_t got = archive_read_data(reader_, buffer.data(), buffer.size());
      if (got < 0) {
        close(fd);
        return ArchiveError(what);
      }
      if (got == 0) break;
      data = buffer.data();
      count = static_cast<size_t>(got);
    }
    hasher.Update(data, count);
    for (size_t written = 0; written < count;) {
      const ssize_t n = write(fd, data + written, count - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::ResourceExhaustedError(
            fmt::format("cannot write the spool file {} ({}) — set TMPDIR to a directory with "
                        "room for the largest blob ({} bytes)",
                        path, std::strerror(errno), size));
        break;
      }
      written += static_cast<size_t>(n);
    }
    if (!status.ok()) break;
    done += static_cast<int64_t>(count);
  }
  close(fd);
  if (!status.ok()) {
    failed_ = true;
    return status;
  }
  if (done != size) {
    failed_ = true;
    return absl::FailedPreconditionError(fmt::format(
        "bundle corrupt: {} is shorter than {} bytes — re-extract the bundle", what, size));
  }
  if (const std::string actual = hasher.Finish(); actual != digest) {
    failed_ = true;
    return absl::FailedPreconditionError(
        fmt::format("bundle corrupt: {} has content {} — re-extract the bundle", what, actual));
  }
  return blob;
}

absl::StatusOr<std::shared_ptr<const SpooledBlob>> LayoutStream::Next(const Wanted& wanted) {
  if (failed_) return absl::FailedPreconditionError("bundle stream already failed");
  // Blobs that came before the manifests, held in memory.
  while (!held_.empty()) {
    auto node = held_.extract(held_.begin());
    const std::string digest = MemberDigest(node.key());
    if (!asked_.insert(digest).second) continue;
    const int64_t declared = blob_sizes_.at(digest);
    if (static_cast<int64_t>(node.mapped().size()) != declared) {
      failed_ = true;
      return absl::FailedPreconditionError(
          fmt::format("bundle {} corrupt: image {}: blob {} is {} bytes, the manifest says {} — "
                      "re-extract the bundle",
                      path_, ImageOf(digest), digest, node.mapped().size(), declared));
    }
    auto want = wanted(digest, declared);
    if (!want.ok()) {
      failed_ = true;
      return want.status();
    }
    if (*want) return Spool(digest, declared, &node.mapped());
  }
  archive_entry* entry = nullptr;
  while (true) {
    int64_t size = 0;
    std::string name;
    if (have_entry_) {
      have_entry_ = false;
      name = entry_name_;
      size = entry_size_;
    } else {
      const int rc = archive_read_next_header(reader_, &entry);
      if (rc == ARCHIVE_EOF) return std::shared_ptr<const SpooledBlob>();
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return ArchiveError("the next member");
      if (++members_seen_ > limits_.members.max_members) {
        failed_ = true;
        return absl::InvalidArgumentError(
            fmt::format("bundle archive {}: it has more than {} members; refusing it", path_,
                        limits_.members.max_members));
      }
      auto checked = CheckedMember(path_, entry, limits_.members, &size);
      if (!checked.ok()) {
        failed_ = true;
        return checked.status();
      }
      name = *std::move(checked);
    }
    const std::string digest = MemberDigest(name);
    auto declared = blob_sizes_.find(digest);
    // Directories, manifests already read, members nobody references, a blob given twice.
    if (name.empty() || declared == blob_sizes_.end() || !asked_.insert(digest).second) {
      continue;  // the next header skips the data
    }
    if (size != declared->second) {
      failed_ = true;
      return absl::FailedPreconditionError(
          fmt::format("bundle {} corrupt: image {}: blob {} is {} bytes, the manifest says {} — "
                      "re-extract the bundle",
                      path_, ImageOf(digest), digest, size, declared->second));
    }
    auto want = wanted(digest, size);
    if (!want.ok()) {
      failed_ = true;
      return want.status();
    }
    if (*want) return Spool(digest, size, nullptr);
  }
}

}  // namespace bundle
