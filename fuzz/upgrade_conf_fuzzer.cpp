// upgrade.conf's text (the registry line upgrade.sh falls back to).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "upgrade/registry_resolution.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)upgrade::ParseUpgradeConf(std::string_view(reinterpret_cast<const char*>(data), size),
                                  "upgrade.conf");
  return 0;
}
