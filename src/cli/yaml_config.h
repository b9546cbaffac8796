// Lets a CLI11 application read its --config file as YAML whose keys are the long flag
// names without dashes ("source-endpoints: [a:2379, b:2379]"). Flags given on the command
// line win over the file; unknown keys are errors, as unknown flags are. Values are scalars
// or lists of scalars; anything else is a one-line error, as is a file over 1 MiB.
#pragma once

#include <CLI/CLI.hpp>
#include <istream>
#include <string>
#include <vector>

namespace cli {

// Bigger or deeper config files are refused (one line, a usage error) before parsing.
inline constexpr size_t kMaxConfigBytes = 1024 * 1024;

class YamlConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

// Installs YamlConfig as `app`'s --config reader; unknown keys in the file are errors.
void UseYamlConfig(CLI::App& app, const std::string& description);

}  // namespace cli
