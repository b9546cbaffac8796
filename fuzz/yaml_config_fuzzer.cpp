// A tool's --config YAML (cli::YamlConfig).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "cli/yaml_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream input(std::string(reinterpret_cast<const char*>(data), size));
  try {
    cli::YamlConfig().from_config(input);
  } catch (const CLI::Error&) {
    // CLI11's way of refusing a file: the app prints it and exits 2.
  }
  return 0;
}
