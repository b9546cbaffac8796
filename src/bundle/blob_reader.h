// Streams one blob of a bundle from disk and verifies, as it goes, that it has exactly the
// descriptor's size and digest; a mismatch surfaces as an error at the end of the stream.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bundle/digest.h"

namespace bundle {

// Where a blob's bytes are: a file of its own in a layout directory (offset 0), or a member
// of an uncompressed tar, read in place at its offset (several readers at once: pread).
struct BlobLocation {
  std::string path;
  int64_t offset = 0;
  bool in_archive = false;  // `path` is the archive: its size was checked when it was indexed
};

class BlobReader {
 public:
  // `what` names the blob in errors ("image acp/x:1 blob sha256:..").
  BlobReader(std::string path, std::string digest, int64_t size, std::string what);
  BlobReader(BlobLocation location, std::string digest, int64_t size, std::string what);
  ~BlobReader();
  BlobReader(const BlobReader&) = delete;
  BlobReader& operator=(const BlobReader&) = delete;

  // Opens (or reopens) the file and positions at `offset`, hashing the bytes skipped.
  absl::Status Rewind(int64_t offset = 0);
  // Up to `capacity` bytes; 0 at the end, once size and digest are verified.
  absl::StatusOr<size_t> Read(char* buffer, size_t capacity);
  int64_t position() const { return position_; }
  int64_t size() const { return size_; }

 private:
  BlobLocation location_;
  std::string digest_, what_;
  int64_t size_;
  int64_t position_ = 0;
  int fd_ = -1;
  Sha256 hasher_;
};

// Reads a whole small blob (manifests, configs), verified.
absl::StatusOr<std::string> ReadVerifiedBlob(const std::string& path, const std::string& digest,
                                             int64_t size, const std::string& what);
absl::StatusOr<std::string> ReadVerifiedBlob(const BlobLocation& location,
                                             const std::string& digest, int64_t size,
                                             const std::string& what);

}  // namespace bundle
