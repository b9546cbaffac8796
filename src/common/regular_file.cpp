#include "common/regular_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace common {

absl::StatusOr<int> OpenRegularFile(const std::string& path, const std::string& what) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(fmt::format("{} is missing", what));
    return absl::FailedPreconditionError(
        fmt::format("{} cannot be read ({})", what, std::strerror(errno)));
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(
        fmt::format("{} {}", what,
                    S_ISFIFO(info.st_mode)  ? "is a FIFO, not a regular file"
                    : S_ISDIR(info.st_mode) ? "is a directory, not a regular file"
                                            : "is not a regular file"));
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes,
                                            const std::string& what) {
  absl::StatusOr<int> fd = OpenRegularFile(path, what);
  if (!fd.ok()) return fd.status();
  struct stat info {};
  if (fstat(*fd, &info) == 0 && static_cast<uint64_t>(info.st_size) > max_bytes) {
    close(*fd);
    return absl::FailedPreconditionError(
        fmt::format("{} is {} bytes, more than the {} it may have", what, info.st_size, max_bytes));
  }
  std::string text;
  char buffer[64 << 10];
  while (text.size() <= max_bytes) {
    const ssize_t got = read(*fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      close(*fd);
      return absl::FailedPreconditionError(
          fmt::format("{} cannot be read ({})", what, std::strerror(error)));
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  close(*fd);
  if (text.size() > max_bytes) {
    return absl::FailedPreconditionError(
        fmt::format("{} is more than the {} bytes it may have", what, max_bytes));
  }
  return text;
}

}  // namespace common
