// A package archive (.tgz) read for package.yaml. The archive reader takes a path, so the
// input is handed over as an in-memory file (memfd), never written to disk.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "package/package_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("package_archive_fuzzer", 0);
  if (fd < 0) return 0;
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  (void)package::ReadArchiveMember(path, "package.yaml", 1 << 20);
  return 0;
}
