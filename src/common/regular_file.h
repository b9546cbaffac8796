// Reading a file only when it is a regular file: a FIFO would block open() and every read
// forever, a directory or a device is no file at all. Bundles, auth files, kubeconfigs.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace common {

// A read-only descriptor (blocking mode, close-on-exec) of `path` once fstat says it is a
// regular file; opened with O_NONBLOCK so a FIFO cannot block. Errors name `what`:
// NotFound "<what> is missing", FailedPrecondition "<what> is a FIFO, not a regular file",
// "<what> is a directory, not a regular file", "<what> cannot be read (<errno text>)".
absl::StatusOr<int> OpenRegularFile(const std::string& path, const std::string& what);

// The whole of `path` (OpenRegularFile) when it holds at most `max_bytes`; else
// FailedPrecondition "<what> is N bytes, more than the <max_bytes> it may have" (unread), or
// "<what> is more than the <max_bytes> bytes it may have" when it grew while read.
absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes,
                                            const std::string& what);

}  // namespace common
