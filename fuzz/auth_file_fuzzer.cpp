// A docker config.json / containers auth.json looked up for a registry. No helper is ever run:
// the helper search path is empty, so a named helper is "not found on PATH".
#include <cstddef>
#include <cstdint>
#include <string>

#include "registry/credential_helper.h"
#include "registry/credentials.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  registry::HelperOptions no_helpers;
  (void)registry::LookupAuthFileText(text, "fuzz-auth.json", "registry.example:5000", no_helpers);
  (void)registry::LookupAuthFileText(text, "fuzz-auth.json", "docker.io", no_helpers);
  (void)registry::DecodeBase64Credentials(text);
  (void)registry::NormalizeRegistryKey(text);
  return 0;
}
