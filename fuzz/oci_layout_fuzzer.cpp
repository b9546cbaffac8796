// An OCI image layout: index.json and the manifests and indexes it reaches. Blobs are
// content-addressed, so the input is a small template the fuzzer can mutate freely:
// segments split by "\n@@\n" — index.json first, then blob 1, 2, ...; "@N@" in a segment
// becomes blob N's digest and "#N#" its size (a blob refers only to later blobs). The
// layout's reader takes a directory: it is written under /dev/shm (memory), one per process.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bundle/digest.h"
#include "bundle/oci_layout.h"

namespace {

void Replace(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  static const std::string dir = "/dev/shm/oci_layout_fuzzer." + std::to_string(getpid());
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> segments;
  for (size_t start = 0;;) {
    const size_t end = input.find("\n@@\n", start);
    segments.push_back(input.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos || segments.size() == 16) break;
    start = end + 4;
  }
  std::error_code error;
  fs::remove_all(dir, error);
  fs::create_directories(dir + "/blobs/sha256", error);
  Write(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  for (size_t i = segments.size(); i-- > 0;) {
    for (size_t later = i + 1; later < segments.size(); ++later) {
      Replace(segments[i], "@" + std::to_string(later) + "@",
              bundle::Sha256Digest(segments[later]));
      Replace(segments[i], "#" + std::to_string(later) + "#",
              std::to_string(segments[later].size()));
    }
    if (i == 0) {
      Write(dir + "/index.json", segments[0]);
    } else {
      const std::string digest = bundle::Sha256Digest(segments[i]);
      Write(dir + "/blobs/sha256/" + std::string(bundle::DigestHex(digest)), segments[i]);
    }
  }
  (void)bundle::OciLayout::Open(dir);
  return 0;
}
