#include "common/yaml_config.h"

#include <yaml-cpp/yaml.h>

#include <sstream>

namespace common {
namespace {

std::string ScalarText(const YAML::Node& node) {
  return node.IsNull() ? std::string() : node.as<std::string>();
}

void Flatten(const YAML::Node& map, std::vector<std::string> parents,
             std::vector<CLI::ConfigItem>& out) {
  for (const auto& entry : map) {
    CLI::ConfigItem item;
    item.parents = parents;
    item.name = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (value.IsMap()) {
      auto nested = parents;
      nested.push_back(item.name);
      Flatten(value, nested, out);
      continue;
    }
    if (value.IsSequence()) {
      for (const auto& element : value) item.inputs.push_back(ScalarText(element));
    } else {
      item.inputs.push_back(ScalarText(value));
    }
    out.push_back(std::move(item));
  }
}

}  // namespace

std::string YamlConfig::to_config(const CLI::App* app, bool default_also, bool, std::string) const {
  YAML::Emitter emitter;
  emitter << YAML::BeginMap;
  for (const CLI::Option* option : app->get_options()) {
    if (option->get_lnames().empty() || !option->get_configurable()) continue;
    std::vector<std::string> values = option->reduced_results();
    if (values.empty() && default_also && !option->get_default_str().empty()) {
      values.push_back(option->get_default_str());
    }
    if (values.empty()) continue;
    emitter << YAML::Key << option->get_lnames().front() << YAML::Value;
    if (values.size() == 1) {
      emitter << values.front();
    } else {
      emitter << YAML::Flow << values;
    }
  }
  emitter << YAML::EndMap;
  return emitter.c_str();
}

std::vector<CLI::ConfigItem> YamlConfig::from_config(std::istream& input) const {
  YAML::Node root;
  try {
    root = YAML::Load(input);
  } catch (const YAML::Exception& e) {
    throw CLI::ConversionError("config file is not valid YAML: " + std::string(e.what()));
  }
  std::vector<CLI::ConfigItem> items;
  if (root.IsNull()) return items;
  if (!root.IsMap()) {
    throw CLI::ConversionError("config file must be a YAML mapping of flag names to values");
  }
  Flatten(root, {}, items);
  return items;
}

void UseYamlConfig(CLI::App& app, const std::string& description) {
  app.config_formatter(std::make_shared<YamlConfig>());
  app.set_config("--config", "", description);
  app.allow_config_extras(CLI::config_extras_mode::error);
}

}  // namespace common
