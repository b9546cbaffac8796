// package.yaml of a violet package.
#include <cstddef>
#include <cstdint>
#include <string>

#include "package/package_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto manifest =
      package::ParsePackageManifest(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  if (manifest.ok()) package::FormatPackageManifest(*manifest);
  return 0;
}
