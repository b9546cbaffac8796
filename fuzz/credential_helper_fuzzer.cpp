// A docker-credential-<name> helper's answer to "get".
#include <cstddef>
#include <cstdint>
#include <string>

#include "registry/credential_helper.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string output(reinterpret_cast<const char*>(data), size);
  (void)registry::ParseHelperAnswer(output, /*wait_status=*/0, "pass", "registry.example:5000");
  return 0;
}
