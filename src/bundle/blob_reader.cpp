#include "bundle/blob_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace bundle {

BlobReader::BlobReader(std::string path, std::string digest, int64_t size, std::string what)
    : path_(std::move(path)), digest_(std::move(digest)), what_(std::move(what)), size_(size) {}

BlobReader::~BlobReader() {
  if (file_ != nullptr) fclose(file_);
}

absl::Status BlobReader::Rewind(int64_t offset) {
  if (file_ != nullptr) fclose(file_);
  file_ = fopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(
        fmt::format("bundle corrupt: {} cannot be read ({}) — re-extract the bundle", what_,
                    std::strerror(errno)));
  }
  hasher_.Finish();  // resets
  position_ = 0;
  std::vector<char> buffer(1 << 20);
  while (position_ < offset) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(buffer.size(), offset - position_));
    const size_t got = fread(buffer.data(), 1, want, file_);
    if (got == 0) {
      return absl::FailedPreconditionError(fmt::format(
          "bundle corrupt: {} is shorter than {} bytes — re-extract the bundle", what_, size_));
    }
    hasher_.Update(buffer.data(), got);
    position_ += static_cast<int64_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> BlobReader::Read(char* buffer, size_t capacity) {
  if (file_ == nullptr) {
    absl::Status opened = Rewind(0);
    if (!opened.ok()) return opened;
  }
  const int64_t remaining = size_ - position_;
  const size_t want = static_cast<size_t>(std::min<int64_t>(capacity, remaining));
  size_t got = want == 0 ? 0 : fread(buffer, 1, want, file_);
  if (want > 0 && got == 0) {
    return absl::FailedPreconditionError(fmt::format(
        "bundle corrupt: {} is shorter than {} bytes — re-extract the bundle", what_, size_));
  }
  if (got > 0) {
    hasher_.Update(buffer, got);
    position_ += static_cast<int64_t>(got);
    return got;
  }
  // End of the declared size: the file must end here and hash to the digest.
  char extra;
  if (fread(&extra, 1, 1, file_) == 1) {
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
  if (size < 0 || size > (64 << 20)) {
    return absl::FailedPreconditionError(fmt::format(
        "bundle corrupt: {} declares size {} (a manifest is at most 64 MiB)", what, size));
  }
  BlobReader reader(path, digest, size, what);
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
