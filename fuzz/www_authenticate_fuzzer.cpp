// A registry's WWW-Authenticate header.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/www_authenticate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)registry::ParseChallenge(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
