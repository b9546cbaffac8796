// Reads a gzip- or zstd-compressed tar of an OCI layout in ONE sequential pass (libarchive):
// oci-layout, index.json and the manifests first (the member order of layout_archive.h), held
// in memory and bounded like the directory path, then each blob as it comes, spooled to a
// 0600 file of a private temp directory and verified (size and digest) before anyone reads it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "bundle/oci_layout.h"
#include "bundle/tar_index.h"

struct archive;

namespace bundle {

struct LayoutStreamLimits {
  TarIndexLimits members;
  // A member that comes before the manifests are all known is held in memory if it is at most
  // this big (a manifest, a config, a child index); a bigger one means the archive is not in
  // our member order and is refused.
  int64_t max_held_member_bytes = kMaxManifestBytes;
  // All members held in memory before the first blob (the directory path's manifest budget).
  int64_t max_held_bytes = kMaxLayoutManifestBytes;
  // Where the spool directory goes; empty: $TMPDIR, else /tmp.
  std::string spool_parent;
};

// One verified blob on disk; the file is removed when the last reference goes.
struct SpooledBlob {
  SpooledBlob(std::string digest, int64_t size, std::string path, std::atomic<int64_t>* in_use);
  ~SpooledBlob();
  SpooledBlob(const SpooledBlob&) = delete;
  SpooledBlob& operator=(const SpooledBlob&) = delete;
  std::string digest;
  int64_t size = 0;
  std::string path;

 private:
  std::atomic<int64_t>* in_use_;
};

class LayoutStream {
 public:
  // Opens `path`, reads its leading members and the images they name. Refuses, before any
  // blob is read, an archive whose blob comes before the manifests that name it (too big to
  // hold): the fix is to decompress it to images.tar, which is read in place.
  static absl::StatusOr<std::unique_ptr<LayoutStream>> Open(const std::string& path,
                                                            const LayoutStreamLimits& limits = {});
  ~LayoutStream();  // closes the archive, removes the spool directory and what is left in it
  LayoutStream(const LayoutStream&) = delete;
  LayoutStream& operator=(const LayoutStream&) = delete;

  const OciLayout& layout() const { return *layout_; }
  ArchiveCompression compression() const { return compression_; }
  // Blobs the images reference, with their declared sizes and the first image naming each.
  const std::map<std::string, int64_t>& blob_sizes() const { return blob_sizes_; }
  const std::string& ImageOf(const std::string& digest) const { return blob_images_.at(digest); }

  // Asked for each blob member before its bytes are read: OK(true) spools it, OK(false) skips
  // it, an error stops the stream with that error (it may block, e.g. until the spool has
  // room). Each digest is asked about once.
  using Wanted = std::function<absl::StatusOr<bool>(const std::string& digest, int64_t size)>;
  // The next wanted blob, spooled and verified; nullptr at the end of the archive. A corrupt
  // member (size, digest, truncated or bad compression) is an error naming its image; after
  // an error the stream is over.
  absl::StatusOr<std::shared_ptr<const SpooledBlob>> Next(const Wanted& wanted);

  const std::string& spool_dir() const { return spool_dir_; }
  int64_t spool_bytes() const { return spool_in_use_; }
  int64_t peak_spool_bytes() const { return spool_peak_; }

 private:
  LayoutStream() = default;
  absl::Status ReadLeadingMembers();
  absl::StatusOr<std::shared_ptr<const SpooledBlob>> Spool(const std::string& digest, int64_t size,
                                                           const std::string* held);
  absl::Status ArchiveError(const std::string& while_doing);

  std::string path_;
  LayoutStreamLimits limits_;
  ArchiveCompression compression_ = ArchiveCompression::kNone;
  archive* reader_ = nullptr;
  int fd_ = -1;
  bool have_entry_ = false;  // the header of the first blob member is read, its data not
  std::string entry_name_;
  int64_t entry_size_ = 0;
  bool failed_ = false;
  int64_t members_seen_ = 0;
  std::map<std::string, std::string> held_;  // leading members
  std::unique_ptr<OciLayout> layout_;
  std::map<std::string, int64_t> blob_sizes_;
  std::map<std::string, std::string> blob_images_;
  std::set<std::string> asked_;  // digests offered to Wanted
  std::string spool_dir_;
  std::atomic<int64_t> spool_in_use_{0};
  int64_t spool_peak_ = 0;
};

}  // namespace bundle
