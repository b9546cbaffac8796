// images.tar as image-sync reads it: the tar's headers indexed (bundle::IndexTar: members,
// names, sizes, links, compression) and, when that passes, the layout read from the members
// in place; a gzip or zstd tar is read in one pass as image-sync streams it (LayoutStream:
// leading members held, blobs spooled under /dev/shm and verified). The input is the
// archive's bytes, written under /dev/shm (one file per process).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "bundle/layout_stream.h"
#include "bundle/oci_layout.h"
#include "bundle/tar_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/dev/shm/tar_index_fuzzer." + std::to_string(getpid());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  bundle::TarIndexLimits limits;
  limits.max_members = 1000;  // bounded work per input
  auto index = bundle::IndexTar(path, limits);
  if (index.ok() && index->compression == bundle::ArchiveCompression::kNone) {
    (void)bundle::OciLayout::Open(path);
  } else if (index.ok()) {
    bundle::LayoutStreamLimits stream_limits;
    stream_limits.members = limits;
    stream_limits.spool_parent = "/dev/shm";
    auto stream = bundle::LayoutStream::Open(path, stream_limits);
    if (stream.ok()) {
      while (true) {
        auto blob =
            (*stream)->Next([](const std::string&, int64_t size) { return size < (64 << 20); });
        if (!blob.ok() || *blob == nullptr) break;
      }
    }
  }
  return 0;
}
