#include "bundle/blob_reader.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/absl_fmt.h"
#include "common/regular_file.h"

namespace bundle {
namespace {

absl::Status Unreadable(const std::string& what, const std::string& why) {
  return absl::FailedPreconditionError(
      fmt::format("bundle corrupt: {} {} — re-extract the bundle", what, why));
}

std::string Resolved(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  std::string out = resolved != nullptr ? resolved : "";
  free(resolved);
  return out;
}

// Opens a blob only when it is a regular file (OpenRegularFile) inside its layout: a device or
// a link out of the layout would stream another file's bytes to the registry before the digest
// check at the end stopped them. An archive is the regular file named as the bundle.
absl::StatusOr<int> OpenBlob(const BlobLocation& location, const std::string& what) {
  const std::string& path = location.path;
  absl::StatusOr<int> opened = common::OpenRegularFile(path, what);
  if (!opened.ok()) {
    return absl::FailedPreconditionError(fmt::format("bundle corrupt: {} — re-extract the bundle",
                                                     common::View(opened.status().message())));
  }
  const int fd = *opened;
  if (location.in_archive) return fd;
  // A blob at <layout>/blobs/<algorithm>/<hex> must resolve inside <layout>.
  const size_t blobs = path.rfind("/blobs/");
  if (blobs != std::string::npos &&
      std::count(path.begin() + static_cast<std::ptrdiff_t>(blobs) + 7, path.end(), '/') == 1) {
    const std::string root = Resolved(blobs == 0 ? "/" : path.substr(0, blobs));
    std::string target(4096, '\0');
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t length = readlink(link.c_str(), target.data(), target.size());
    target = length > 0 ? target.substr(0, static_cast<size_t>(length)) : Resolved(path);
    if (root.empty() || !target.starts_with(root == "/" ? root : root + "/")) {
      close(fd);
      return Unreadable(what, "is a link out of the bundle");
    }
  }
  return fd;
}

// pread until `want` bytes or the end of the file; -1 on a read error.
ssize_t ReadAt(int fd, char* buffer, size_t want, int64_t offset) {
  size_t got = 0;
  while (got < want) {
    const ssize_t n = pread(fd, buffer + got, want - got, static_cast<off_t>(offset) + got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace

BlobReader::BlobReader(std::string path, std::string digest, int64_t size, std::string what)
    : BlobReader(BlobLocation{std::move(path)}, std::move(digest), size, std::move(what)) {}

BlobReader::BlobReader(BlobLocation location, std::string digest, int64_t size, std::string what)
    : location_(std::move(location)),
      digest_(std::move(digest)),
      what_(std::move(what)),
      size_(size) {}

BlobReader::~BlobReader() {
  if (fd_ >= 0) close(fd_);
}

absl::Status BlobReader::Rewind(int64_t offset) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  absl::StatusOr<int> opened = OpenBlob(location_, what_);
  if (!opened.ok()) return opened.status();
  fd_ = *opened;
  hasher_.Finish();  // resets
  position_ = 0;
  std::vector<char> buffer(1 << 20);
  while (position_ < offset) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(buffer.size(), offset - position_));
    const ssize_t got = ReadAt(fd_, buffer.data(), want, location_.offset + position_);
    if (got <= 0) {
      return absl::FailedPreconditionError(fmt::format(
          "bundle corrupt: {} is shorter than {} bytes — re-extract the bundle", what_, size_));
    }
    hasher_.Update(buffer.data(), static_cast<size_t>(got));
    position_ += got;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> BlobReader::Read(char* buffer, size_t capacity) {
  if (fd_ < 0) {
    absl::Status opened = Rewind(0);
    if (!opened.ok()) return opened;
  }
  const int64_t remaining = size_ - position_;
  const size_t want = static_cast<size_t>(std::min<int64_t>(capacity, remaining));
  const ssize_t got = want == 0 ? 0 : ReadAt(fd_, buffer, want, location_.offset + position_);
  if (want > 0 && got <= 0) {
    return absl::FailedPreconditionError(fmt::format(
        "bundle corrupt: {} is shorter than {} bytes — re-extract the bundle", what_, size_));
  }
  if (got > 0) {
    hasher_.Update(buffer, static_cast<size_t>(got));
    position_ += got;
    return static_cast<size_t>(got);
  }
  // End of the declared size: the file must end here (an archive member's size was checked
  // against the index) and hash to the digest.
  char extra;
  if (!location_.in_archive && ReadAt(fd_, &extra, 1, size_) == 1) {
    return absl::FailedPreconditionError(fmt::format(
        "bundle corrupt: {} is longer than {} bytes — re-extract the bundle", what_, size_));
  }
  const std::string actual = hasher_.Finish();
  if (actual != digest_) {
    return absl::FailedPreconditionError(
        fmt::format("bundle corrupt: {} has content {} — re-extract the bundle", what_, actual));
  }
  return 0;
}

absl::StatusOr<std::string> ReadVerifiedBlob(const std::string& path, const std::string& digest,
                                             int64_t size, const std::string& what) {
  return ReadVerifiedBlob(BlobLocation{path}, digest, size, what);
}

absl::StatusOr<std::string> ReadVerifiedBlob(const BlobLocation& location,
                                             const std::string& digest, int64_t size,
                                             const std::string& what) {
  if (size < 0 || size > (64 << 20)) {
    return absl::FailedPreconditionError(fmt::format(
        "bundle corrupt: {} declares size {} (a manifest is at most 64 MiB)", what, size));
  }
  BlobReader reader(location, digest, size, what);
  std::string out(static_cast<size_t>(size), '\0');
  size_t filled = 0;
  while (true) {
    char* at = out.data() + filled;
    auto got = reader.Read(at, out.size() - filled);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    filled += *got;
  }
  return out;
}

}  // namespace bundle
